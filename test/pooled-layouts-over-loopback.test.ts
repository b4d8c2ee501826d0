/**
 * Outgoing layouts the library made for itself go back to a per-thread pool once the socket is
 * done with them (layout-pool.ts), over real loopback sockets in both pool modes: bursts of
 * large messages of one size, each with its own contents, written in one turn (so they are
 * corked together and wait in the socket while the next ones are encoded) with `write`,
 * `writeNow`, `writeSync` and `pool.broadcast`, all arrive byte for byte, so no layout was reused
 * while still in flight; the pool was used and stays within its capacity; and an encoded message
 * the application holds (`encode` + `writeEncodedNow`) is never taken back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Connection } from '../src/main/connection.ts';
import { POOL_CAPACITY, layoutPool } from '../src/shared/session/layout-pool.ts';
import { connectMany } from './support/connect-many.ts';
import { makePool, MODES } from './support/pools.ts';

type Conn = Connection<Uint8Array, undefined>;

const TIMEOUT = 20_000;
/** Sizes on both sides of 4 KiB (pooled above), of the 16 KiB transfer threshold and of one chunk. */
const SIZES = [3000, 5000, 9000, 16_384, 70_000, 200_000];
const BURST = 8;
const SOURCE = randomBytes(512 * 1024);

/** The `n`-th message of a run: its number, then a window of random bytes that starts where `n` says. */
function message(n: number, size: number): Buffer {
  const start = (n * 7919) % (SOURCE.length - size);
  const out = Buffer.from(SOURCE.subarray(start, start + size));
  out.writeUInt32BE(n, 0);
  return out;
}

/** Reads `expected.length` messages and checks each one byte for byte. */
async function expectAll(conn: Conn, expected: readonly Buffer[], what: string): Promise<void> {
  for (const [i, want] of expected.entries()) {
    const got = await conn.read({ signal: AbortSignal.timeout(TIMEOUT) });
    assert.ok(Buffer.from(got.message).equals(want), `${what}: message ${i} (${want.length} bytes, number ${want.readUInt32BE(0)}) arrived altered`);
  }
}

for (const { name, workers } of MODES) {
  test(`${name}: bursts of large writes with distinct contents arrive byte for byte; the layout pool is used and stays within its capacity`, async () => {
    const server = makePool(workers, { allowDuplicatePeers: true });
    const client = makePool(0, { allowDuplicatePeers: true });
    try {
      const pairs = await connectMany(server, client, 3, TIMEOUT);
      const [sender, receiver] = pairs[0]!;
      let n = 0;
      for (let round = 0; round < 2; round++) {
        for (const size of SIZES) {
          // One turn: the first write goes to the socket, the others are corked behind it while
          // the next layouts of the same size are encoded.
          const writes = Array.from({ length: BURST }, () => message(n++, size));
          const sent = Promise.all(writes.map((body) => sender.write(body)));
          await expectAll(receiver, writes, `write ${size}`);
          await sent;

          const nows: Buffer[] = [];
          for (let i = 0; i < BURST; i++) {
            const body = message(n++, size);
            while (!sender.writeNow(body)) await sender.writable({ signal: AbortSignal.timeout(TIMEOUT) });
            nows.push(body);
          }
          await expectAll(receiver, nows, `writeNow ${size}`);

          const syncs = Array.from({ length: 3 }, () => message(n++, size));
          const synced = Promise.all(syncs.map((body) => sender.writeSync(body)));
          await expectAll(receiver, syncs, `writeSync ${size}`);
          await synced;

          // Broadcasts: each connection's copy is a pooled layout of its own (sealed with its own keys).
          const casts = Array.from({ length: 3 }, () => message(n++, size));
          for (const body of casts) assert.deepEqual(server.broadcast(body), { queued: 3, dropped: 0 });
          for (const [, clientSide] of pairs) await expectAll(clientSide, casts, `broadcast ${size}`);
        }
      }
      // Main thread's pool: recycled layouts came back to it (inline: from the socket; sharded:
      // copied into the ring), and it holds no more than its capacity.
      assert.ok(layoutPool.heldBytes > 0, 'no layout came back to the pool');
      assert.ok(layoutPool.heldBytes <= POOL_CAPACITY, `pool holds ${layoutPool.heldBytes} bytes`);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test(`${name}: an encoded message the application holds is written once and never reused by the library`, async () => {
    const server = makePool(workers, { allowDuplicatePeers: true });
    const client = makePool(0, { allowDuplicatePeers: true });
    try {
      const [[sender, receiver]] = (await connectMany(server, client, 1, TIMEOUT)) as [[Conn, Conn]];
      // 8 KiB: pooled when the library encodes it, and copied (not transferred) to a shard.
      const held = sender.encode(message(1, 8192));
      assert.equal(sender.writeEncodedNow(held), true);
      const snapshot = Buffer.from(held.buffer);
      await expectAll(receiver, [message(1, 8192)], 'held');
      const more = Array.from({ length: 4 * BURST }, (_, i) => message(100 + i, 8192));
      await Promise.all(more.map((body) => sender.write(body)));
      await expectAll(receiver, more, 'after held');
      assert.ok(Buffer.from(held.buffer).equals(snapshot), 'the application\'s encoded message was overwritten');
    } finally {
      await client.close();
      await server.close();
    }
  });
}
