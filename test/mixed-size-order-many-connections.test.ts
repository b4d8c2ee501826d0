/**
 * Message order per connection when many connections' small bodies share MESSAGES records and
 * large bodies (TRANSFER_THRESHOLD and up) cross as transferred buffers (architecture.md §3):
 * each client connection fires a random mix of sizes without waiting, all at once, and every
 * server-side connection reads exactly its own messages, whole and in order. Inline, one shard and
 * two shards, from this one file; sizes and mixes drawn by fast-check (a few runs: real sockets).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from '../src/main/connection.ts';
import { TRANSFER_THRESHOLD } from '../src/shared/shard/protocol.ts';
import { makePool } from './support/pools.ts';

type Conn = Connection<Uint8Array, undefined>;

const TIMEOUT = 20_000;
const CONNECTIONS = 6;

/** Small (batched), medium (ring parts), large (transferred). */
const size = fc.oneof(fc.integer({ min: 4, max: 200 }), fc.integer({ min: 3_900, max: 4_200 }), fc.integer({ min: TRANSFER_THRESHOLD - 8, max: TRANSFER_THRESHOLD + 40_000 }));

/** Body `k` of connection `c`: its numbers up front, a fill after, so a misplaced one is seen. */
function body(c: number, k: number, length: number): Buffer {
  const b = Buffer.alloc(length, (c * 31 + k) & 0xff);
  b.writeUInt16LE(c, 0);
  b.writeUInt16LE(k, 2);
  return b;
}

for (const { name, workers } of [
  { name: 'inline', workers: 0 },
  { name: 'one shard', workers: 1 },
  { name: 'two shards', workers: 2 },
]) {
  test(`${name}: small, medium and large bodies fired at once on many connections arrive whole and in order per connection`, async () => {
    const server = makePool(workers, { allowDuplicatePeers: true });
    const client = makePool(0, { allowDuplicatePeers: true });
    try {
      const { port } = await server.listen();
      const received = new Map<number, Buffer[]>();
      server.on('connection', (conn) => {
        void (async () => {
          try {
            for (;;) {
              const b = Buffer.from((await conn.read()).message);
              const c = b.readUInt16LE(0);
              let list = received.get(c);
              if (!list) received.set(c, (list = []));
              list.push(b);
            }
          } catch {
            // closed
          }
        })();
      });
      const conns: Conn[] = [];
      for (let i = 0; i < CONNECTIONS; i++) conns.push(await client.connect({ host: '127.0.0.1', port }));
      let round = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(size, { minLength: 20, maxLength: 120, size: 'max' }), { minLength: CONNECTIONS, maxLength: CONNECTIONS }), async (mixes) => {
          const base = round++ * 1000;
          received.clear();
          const sent = mixes.map((sizes, c) => sizes.map((length, k) => body(c, base + k, length)));
          await Promise.all(conns.map((conn, c) => Promise.all(sent[c]!.map((b) => conn.write(b)))));
          const deadline = Date.now() + TIMEOUT;
          while (sent.some((list, c) => (received.get(c)?.length ?? 0) < list.length) && Date.now() < deadline) await sleep(5);
          for (const [c, list] of sent.entries()) {
            const got = received.get(c) ?? [];
            assert.equal(got.length, list.length, `connection ${c}: every message`);
            for (let k = 0; k < list.length; k++) assert.ok(got[k]!.equals(list[k]!), `connection ${c}: message ${k} (${list[k]!.length} B) whole and in place`);
          }
        }),
        { numRuns: 6 },
      );
    } finally {
      await client.close();
      await server.close();
    }
  });
}
