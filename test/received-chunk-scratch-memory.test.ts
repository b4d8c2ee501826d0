/**
 * A connection that received chunks spanning socket reads keeps no 64 KiB join buffer of its own
 * (one per connection held 637 MiB of ArrayBuffers at 10,000 inline connections): the buffer is one per thread.
 * 200 inline connections each receive a 200 KiB message; ArrayBuffer memory after GC must not
 * grow by anything like 200 × 64 KiB.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Connection } from '../src/main/connection.ts';
import { makePool } from './support/pools.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const CONNECTIONS = 200;
const MiB = 1024 * 1024;

function arrayBuffersAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().arrayBuffers;
}

test(`inline: ${CONNECTIONS} connections that received spanning chunks hold no per-connection join buffer`, async (t) => {
  const server = makePool(0, { maxConnections: 1000, maxIncomingHandshakes: 1000, maxIncomingHandshakesPerAddress: 1000, allowDuplicatePeers: true });
  const client = makePool(0, { maxConnections: 1000, allowDuplicatePeers: true });
  const accepted: Connection<Uint8Array, undefined>[] = [];
  server.on('connection', (conn) => accepted.push(conn));
  try {
    const { port } = await server.listen();
    const conns = await Promise.all(Array.from({ length: CONNECTIONS }, () => client.connect({ host: '127.0.0.1', port })));
    while (accepted.length < CONNECTIONS) await new Promise((resolve) => setTimeout(resolve, 10));
    const before = arrayBuffersAfterGc();
    const message = Buffer.alloc(200 * 1024, 1);
    for (let i = 0; i < CONNECTIONS; i += 20) {
      await Promise.all(conns.slice(i, i + 20).map((conn) => conn.write(message)));
      for (const conn of accepted.slice(i, i + 20)) {
        const { message: body } = await conn.read({ signal: AbortSignal.timeout(10_000) });
        assert.equal(body.length, message.length);
      }
    }
    const growth = arrayBuffersAfterGc() - before;
    t.diagnostic(`ArrayBuffer growth after ${CONNECTIONS} connections received a spanning message: ${(growth / MiB).toFixed(2)} MiB`);
    // 64 KiB per connection would be 12.5 MiB.
    assert.ok(growth < 4 * MiB, `${(growth / MiB).toFixed(2)} MiB of ArrayBuffers retained`);
  } finally {
    await client.close();
    await server.close();
  }
});
