/**
 * A peer that resets its connection while the connection's reading is paused (its reader fell
 * behind, so the incoming queue is full) is noticed by the paused-peer probe, and the connection
 * ends; its socket must be released then too, not only the connection's state: a socket the probe
 * found reset was left open on an inline pool (its file descriptor and TCP handle held for the
 * life of the process, even after the application's `close()`), so peers that flood, get paused
 * and reset could exhaust the process's descriptors. Over real loopback sockets in both modes
 * (a shard's sockets are the process's descriptors too); counted through /proc/self/fd (Linux).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from '../src/main/connection.ts';
import { eventually } from './support/budget-attackers.ts';
import { within } from './support/connected-pair.ts';
import { makeIdentity } from './support/fixtures.ts';
import { MODES } from './support/pools.ts';
import { establishedPeer, framed } from './support/scripted-peer.ts';
import { withPool } from './support/with-pool.ts';

/** Sockets this process holds open. */
function openSockets(): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) count++;
    } catch {
      // closed between the listing and the look
    }
  }
  return count;
}

const peerIdentity = makeIdentity(1);

for (const { name, workers } of MODES) {
  test(`${name}: a peer that resets while its connection is paused for a full queue leaves no socket open`, async () => {
    await withPool(workers, { accept: { incomingMessageQueueSize: 64 * 1024 } }, async (port, connections) => {
      const before = openSockets();
      const peer = await establishedPeer(port, peerIdentity);
      assert.ok(await eventually(() => connections.length === 1, 10_000), 'the peer was accepted');
      const conn: Connection<Uint8Array, undefined> = connections[0]!;
      // Far more than the queue and the socket buffers take: nobody reads, so reading pauses.
      const message = framed(Buffer.alloc(60_000, 0x42));
      for (let i = 0; i < 150 && !peer.socket.destroyed; i++) {
        peer.sendChunk(message.subarray(0, 60_000));
        peer.sendChunk(message.subarray(60_000));
      }
      await sleep(300);
      assert.ok(peer.socket.writableLength > 0, 'the server stopped reading');
      peer.socket.resetAndDestroy();
      await within(conn.ended, 5000, 'the connection ends');
      assert.ok(await eventually(() => openSockets() <= before, 5000), `sockets open: ${openSockets()}, before the peer: ${before}`);
    });
  });
}
