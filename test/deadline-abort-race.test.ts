/**
 * A pool connection's deadline (`connectTimeout`) and the caller's abort signal racing each other
 * (connection-lifecycle.ts: each step holds its own reject, which `stop` calls once): whichever
 * comes first, a milliseconds before, together or after, while the deadline asks what the step
 * waited for, the connect rejects once with TIMEOUT or ABORTED, the peer's socket is closed and
 * nothing of the attempt is left, nothing escapes. Both modes, over loopback, against a listener
 * that takes the connection and never answers (the handshake waits for its connection message)
 * or one that answers through the metadata (the pool waits for the Ack).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import type { Pool } from '../src/main/pool.ts';
import { escapedErrors, loopback, makeIdentity, NODE_VERSION, settle } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';
import { ScriptedPeer } from './support/scripted-peer.ts';

const DEADLINE_MS = 120;
/** The answering listener's identity. */
const PEER = makeIdentity();

async function closedWithin(socket: Socket, ms: number): Promise<void> {
  if (socket.closed) return;
  socket.resume();
  await Promise.race([once(socket, 'close'), sleep(ms).then(() => assert.fail(`peer socket still open after ${ms} ms`))]);
}

async function nothingLeft(pool: Pool<Uint8Array, undefined>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const stats = pool.stats();
    const onShards = await pool.shardConnectionStates();
    if (stats.handshakesInFlight === 0 && stats.connections === 0 && onShards.every((states) => Object.keys(states).length === 0)) return;
    await sleep(20);
  }
  assert.fail(`an attempt is left: ${JSON.stringify(pool.stats())}`);
}

for (const { name, workers } of MODES) {
  test(`${name}: connectTimeout and an abort signal racing: one TIMEOUT or ABORTED, socket closed, nothing left`, async () => {
    const pool = makePool(workers, { connectTimeout: DEADLINE_MS });
    const listener = await loopback();
    await pool.ready();
    try {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: -3, max: 40 }), fc.boolean(), async (abortOffset, answer) => {
          const escaped = await escapedErrors(async () => {
            const controller = new AbortController();
            const abortTimer = setTimeout(() => controller.abort(), DEADLINE_MS + abortOffset);
            try {
              const attempt = settle(pool.connect({ host: '127.0.0.1', port: listener.port }, { signal: controller.signal }));
              const socket = await Promise.race([listener.accepted(), attempt.then((outcome) => assert.fail(`settled before it dialled: ${JSON.stringify(outcome.ok || outcome.error.message)}`))]);
              socket.on('error', () => undefined);
              if (answer) {
                // Through the metadata: the pool then waits for the Ack it will never get.
                const peer = new ScriptedPeer(socket);
                peer.sendConnectionMessage(PEER, { version: NODE_VERSION });
                await peer.readConnectionMessage(PEER, true);
                peer.sendChunk(Buffer.alloc(0));
              }
              const outcome = await Promise.race([attempt, sleep(5000).then(() => assert.fail('connect still pending 5 s after its deadline'))]);
              assert.equal(outcome.ok, false);
              if (!outcome.ok) assert.ok(outcome.error.code === 'TIMEOUT' || outcome.error.code === 'ABORTED', `${outcome.error.code}: ${outcome.error.message}`);
              await closedWithin(socket, 3000);
            } finally {
              clearTimeout(abortTimer);
            }
          });
          assert.deepEqual(escaped, []);
          await nothingLeft(pool);
        }),
        { numRuns: 12 },
      );
    } finally {
      await pool.close();
      await listener.close();
    }
  });
}
