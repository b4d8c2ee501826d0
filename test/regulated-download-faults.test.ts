/**
 * Hostile review of the `readBufferSize` download steps (transport.ts `feedSteps`, `backlog`):
 * - a peer that sends a whole message at once into a pool whose download limit makes *us* stop
 *   reading in the middle of it (one step charged, then a debt of several refills) must not be
 *   timed out by `messageTimeout`: the throttle is ours, not the peer's stall. Before the fix the
 *   connection ended with TIMEOUT after `messageTimeout`, in both modes.
 * - bytes a socket read brought in but the quota did not cover yet wait in the backlog; a peer
 *   that sends several messages and then closes (FIN) before the backlog is handed on must not
 *   lose them: the reader gets every message, then CONNECTION_CLOSED, as without a limit
 *   (docs/protocol.md §9.2, §12.1). Before the fix 3 of 5 messages arrived, in both modes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Connection } from '../src/main/connection.ts';
import type { Pool, PoolOptions } from '../src/main/pool.ts';
import { makeIdentity, settle } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';
import { establishedPeer, framed } from './support/scripted-peer.ts';

/** A regulated pool and a scripted peer established with it. */
async function regulatedPeer(workers: number, options: Partial<PoolOptions<Uint8Array, undefined>>) {
  const pool: Pool<Uint8Array, undefined> = makePool(workers, options);
  const accepted = once(pool, 'connection') as Promise<[Connection<Uint8Array, undefined>]>;
  const { port } = await pool.listen();
  const peer = await establishedPeer(port, makeIdentity(2));
  const [conn] = await accepted;
  return { pool, socket: peer.socket, peer, conn };
}

for (const { name, workers } of MODES) {
  test(`${name}: a message held back by our download limit is not timed out by messageTimeout`, async () => {
    // 10 KiB/s: one 16 KiB read step leaves ~1.5 s of debt, five times the message timeout.
    const { pool, socket, peer, conn } = await regulatedPeer(workers, { maxDownloadSpeed: 10 * 1024, accept: { messageTimeout: 300 } });
    try {
      const body = randomBytes(20_000);
      peer.sendChunk(framed(body)); // all at once: the peer never stalls
      const received = await conn.read({ signal: AbortSignal.timeout(8000) });
      assert.deepEqual(Buffer.from(received.message), body);
      socket.destroy();
    } finally {
      await pool.close();
    }
  });

  test(`${name}: messages still waiting for download quota when the peer closes all reach the reader`, async () => {
    // 100 KiB of messages against 100 KiB/s in 4 KiB steps: most of it is still backlog when the FIN lands.
    const { pool, socket, peer, conn } = await regulatedPeer(workers, { maxDownloadSpeed: 100 * 1024, readBufferSize: 4096 });
    try {
      const bodies = Array.from({ length: 5 }, () => randomBytes(20_000));
      for (const body of bodies) peer.sendChunk(framed(body));
      socket.end();
      const received: Buffer[] = [];
      for (;;) {
        const outcome = await settle(conn.read({ signal: AbortSignal.timeout(10_000) }));
        if (!outcome.ok) {
          assert.equal(outcome.error.code, 'CONNECTION_CLOSED', String(outcome.error));
          break;
        }
        received.push(Buffer.from(outcome.value.message));
      }
      assert.equal(received.length, bodies.length);
      received.forEach((body, i) => assert.ok(body.equals(bodies[i]!), `message ${i} intact`));
    } finally {
      await pool.close();
    }
  });
}
