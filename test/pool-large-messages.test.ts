/**
 * Large messages (architecture.md §3): with shards, received bodies and outgoing layouts of at
 * least TRANSFER_THRESHOLD cross between main and the shard as transferred ArrayBuffers, with a
 * ring record for their place; smaller ones as ring records. Whatever the mix, every message
 * arrives whole and in order, on every connection, both ways, in both modes (from this one file).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from '../src/main/connection.ts';
import { TRANSFER_THRESHOLD } from '../src/shared/shard/protocol.ts';
import { makePool, MODES } from './support/pools.ts';

type Conn = Connection<Uint8Array, undefined>;

const TIMEOUT = 15_000;

/** Around the threshold, one-chunk and many-chunk bodies, tiny ones between. */
const SIZES = [10, TRANSFER_THRESHOLD - 1, TRANSFER_THRESHOLD, 5, TRANSFER_THRESHOLD + 1, 65_000, 300 * 1024, 0, 1024 * 1024 + 3, 100];

for (const { name, workers } of MODES) {
  test(`${name}: large and small messages interleaved on several connections arrive whole and in order, and their echoes too`, async () => {
    const server = makePool(workers, { allowDuplicatePeers: true });
    const client = makePool(0, { allowDuplicatePeers: true });
    try {
      const { port } = await server.listen();
      const received = new Map<Conn, Buffer[]>();
      server.on('connection', (conn) => {
        const bodies: Buffer[] = [];
        received.set(conn, bodies);
        void (async () => {
          try {
            for (;;) {
              const body = Buffer.from((await conn.read()).message);
              bodies.push(body);
              // Echoed back: large ones leave the shard from a transferred layout.
              await conn.write(body);
            }
          } catch {
            // closed
          }
        })();
      });
      const conns: Conn[] = [];
      for (let i = 0; i < 3; i++) conns.push(await client.connect({ host: '127.0.0.1', port }));
      const ROUNDS = 3;
      const sent = conns.map(() => [] as Buffer[]);
      for (let round = 0; round < ROUNDS; round++) {
        for (const size of SIZES) {
          for (const [i, conn] of conns.entries()) {
            const body = randomBytes(size);
            sent[i]!.push(body);
            await conn.write(body);
          }
        }
      }
      const total = ROUNDS * SIZES.length;
      const deadline = Date.now() + TIMEOUT;
      while ([...received.values()].some((bodies) => bodies.length < total) && Date.now() < deadline) await sleep(10);
      assert.equal(received.size, 3);
      // Each server-side connection got exactly one client connection's messages, in order.
      const lists = [...received.values()];
      for (const bodies of lists) {
        assert.equal(bodies.length, total);
        const from = sent.findIndex((list) => list[0]!.equals(bodies[0]!));
        assert.ok(from >= 0, 'first message matches a client connection');
        for (let k = 0; k < total; k++) assert.ok(bodies[k]!.equals(sent[from]![k]!), `message ${k} (${sent[from]![k]!.length} bytes) intact and in place`);
      }
      // The echoes, on each client connection, whole and in order.
      for (const [i, conn] of conns.entries()) {
        for (let k = 0; k < total; k++) {
          const echoed = Buffer.from((await conn.read({ signal: AbortSignal.timeout(TIMEOUT) })).message);
          assert.ok(echoed.equals(sent[i]![k]!), `echo ${k} (${sent[i]![k]!.length} bytes) intact and in place`);
        }
      }
      const shards = server.stats().shards;
      if (workers > 0) assert.equal(shards.reduce((sum, shard) => sum + shard.messagesIn, 0), 3 * total);
    } finally {
      await client.close();
      await server.close();
    }
  });
}
