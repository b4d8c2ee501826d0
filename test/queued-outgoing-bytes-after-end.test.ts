/**
 * `conn.queuedOutgoingBytes` counts what was accepted for sending and not yet handed to the
 * socket; once the connection has ended, nothing is queued any more: messages a close without
 * wait (or the peer's end) dropped are reported in the close's outcome, and the count is 0. It
 * kept their bytes for good instead. Over real loopback sockets in both modes, with a peer that
 * does not read, so the messages are still queued when the connection ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from '../src/main/connection.ts';
import { eventually } from './support/budget-attackers.ts';
import { within } from './support/connected-pair.ts';
import { makeIdentity } from './support/fixtures.ts';
import { MODES } from './support/pools.ts';
import { establishedPeer } from './support/scripted-peer.ts';
import { withPool } from './support/with-pool.ts';

type Conn = Connection<Uint8Array, undefined>;

const peerIdentity = makeIdentity(1);

/**
 * Writes until the outgoing queue refuses (the peer does not read), in rounds, until messages
 * still wait 200 ms later: the kernel's loopback buffers may take a whole queue's worth first.
 */
async function fillQueue(conn: Conn): Promise<void> {
  const message = Buffer.alloc(60_000, 0x21);
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 1000 && conn.writeNow(message); i++);
    await sleep(200);
    if (conn.queuedOutgoingBytes > 0) return;
  }
  assert.fail('messages never waited for the socket');
}

for (const { name, workers } of MODES) {
  test(`${name}: after a close without wait drops queued messages, queuedOutgoingBytes is 0`, async () => {
    await withPool(workers, {}, async (port, connections) => {
      const peer = await establishedPeer(port, peerIdentity);
      assert.ok(await eventually(() => connections.length === 1, 10_000), 'the peer was accepted');
      const conn = connections[0]!;
      await fillQueue(conn);
      const outcome = await within(conn.close(), 10_000, 'close');
      assert.ok(outcome.droppedMessages > 0, 'the close dropped messages');
      await within(conn.ended, 10_000, 'ended');
      assert.equal(conn.queuedOutgoingBytes, 0);
      peer.socket.destroy();
    });
  });

  test(`${name}: after the peer resets with messages queued, queuedOutgoingBytes is 0`, async () => {
    await withPool(workers, {}, async (port, connections) => {
      const peer = await establishedPeer(port, peerIdentity);
      assert.ok(await eventually(() => connections.length === 1, 10_000), 'the peer was accepted');
      const conn = connections[0]!;
      await fillQueue(conn);
      peer.socket.resetAndDestroy();
      await within(conn.ended, 10_000, 'ended');
      assert.equal(conn.queuedOutgoingBytes, 0);
    });
  });
}
