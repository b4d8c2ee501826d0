/**
 * Fair reads (loop-turns.ts) stop sockets for the rest of a turn: a connection past its read
 * budget, and every listed reader once the thread's budget is spent. Peers that leave while their
 * connection is stopped that way must still be seen, by FIN or by reset, and nothing may stay
 * paused: many peers flood at once, half of them end right after their flood (every byte before
 * the FIN arrives, in order) and half reset in the middle of it (a prefix arrives, in order);
 * every connection ends, and the pending-message budget and the pool's connections return to 0.
 * Inline, the thread's read time per turn is set to 0, so the stop at the thread's byte budget
 * happens on every such turn whatever this machine's speed (a shard keeps its own default, and
 * its connections still yield at their own budget). Both modes from this one file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Connection } from '../src/main/connection.ts';
import { MAX_CHUNK_CONTENT } from '../src/shared/session/chunk-layout.ts';
import { threadReadTime } from '../src/shared/session/loop-turns.ts';
import { eventually } from './support/budget-attackers.ts';
import { within } from './support/connected-pair.ts';
import { makeIdentity } from './support/fixtures.ts';
import { MODES } from './support/pools.ts';
import { establishedPeer, framed, type ScriptedPeer } from './support/scripted-peer.ts';
import { sealedChunks } from './support/sealed-chunks.ts';
import { withPool } from './support/with-pool.ts';

type Conn = Connection<Uint8Array, undefined>;

const PEERS = 64;
const MESSAGES = 6;
const BODY = 60_000;

function body(peer: number, i: number): Buffer {
  const bytes = Buffer.allocUnsafe(BODY);
  for (let k = 0; k < BODY; k++) bytes[k] = (k * 13 + peer * 101 + i * 7 + (k >>> 9)) & 0xff;
  return bytes;
}

/** Reads until the connection ends; resolves with the bodies and the code it ended with. */
async function drain(conn: Conn): Promise<{ bodies: Buffer[]; code: string | undefined }> {
  const bodies: Buffer[] = [];
  for (;;) {
    try {
      bodies.push(Buffer.from((await conn.read()).message));
    } catch (error) {
      return { bodies, code: (error as { code?: string }).code };
    }
  }
}

for (const { name, workers } of MODES) {
  test(`${name}: peers that end or reset while fair reads stop their sockets are all seen, and nothing stays paused`, { timeout: 90_000 }, async (t) => {
    const defaultReadTime = threadReadTime.perTurnMs;
    threadReadTime.perTurnMs = 0;
    t.after(() => (threadReadTime.perTurnMs = defaultReadTime));
    await withPool(workers, { accept: { maxMessageSize: 1 << 20 } }, async (port, connections, pool) => {
      const peers: ScriptedPeer[] = [];
      for (let p = 0; p < PEERS; p++) {
        peers.push(await establishedPeer(port, makeIdentity(1)));
        assert.ok(await eventually(() => connections.length === p + 1, 10_000), `peer ${p} accepted`);
      }
      const conns = connections.slice();
      const floods = peers.map((peer, p) => {
        const stream = Buffer.concat(Array.from({ length: MESSAGES }, (_, i) => framed(body(p, i))));
        return Buffer.concat(sealedChunks(peer.sealer!, stream, [MAX_CHUNK_CONTENT]));
      });
      const reading = conns.map(drain);
      peers.forEach((peer, p) => {
        peer.raw(floods[p]!);
        if (p % 2 === 0) peer.socket.end();
      });
      // The others reset in the middle of their floods, while the pool's reads are stopped.
      await nextTurn();
      peers.forEach((peer, p) => {
        if (p % 2 === 1) peer.socket.resetAndDestroy();
      });
      const outcomes = await within(Promise.all(reading), 60_000, 'every connection ends');
      outcomes.forEach(({ bodies, code }, p) => {
        assert.equal(code, 'CONNECTION_CLOSED', `peer ${p} ended with ${code}`);
        if (p % 2 === 0) assert.equal(bodies.length, MESSAGES, `peer ${p} ended after its flood: every message arrives`);
        assert.ok(bodies.length <= MESSAGES);
        bodies.forEach((got, i) => assert.ok(got.equals(body(p, i)), `peer ${p}: message ${i} byte-exact`));
      });
      assert.ok(
        await eventually(() => pool.stats().pendingMessageBytes === 0 && pool.stats().connections === 0, 5000),
        `after: pending ${pool.stats().pendingMessageBytes} bytes, ${pool.stats().connections} connections`,
      );
      for (const peer of peers) peer.socket.destroy();
    });
  });
}
