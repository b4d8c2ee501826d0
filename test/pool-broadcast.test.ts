/**
 * `pool.broadcast` (architecture.md §3): one encoding for many connections, carried to each shard
 * once. Every case runs against `workers: 0` and `workers: 2` from this one file: delivery to all,
 * drops counted as `writeNow` counts them, and the message's place among a connection's writes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from '../src/main/connection.ts';
import { connectMany } from './support/connect-many.ts';
import { makePool, MODES } from './support/pools.ts';

type Conn = Connection<Uint8Array, undefined>;

/** A deadline generous for a loaded 2-core machine. */
const TIMEOUT = 10_000;

/** Bodies arrive as Buffers: expected ones are Buffers too, for deepEqual. */
function filled(size: number, fill: number): Buffer {
  return Buffer.alloc(size, fill);
}

async function readOne(conn: Conn): Promise<Uint8Array> {
  return (await conn.read({ signal: AbortSignal.timeout(TIMEOUT) })).message;
}

function pools(workers: number, options: Parameters<typeof makePool>[1] = {}) {
  return {
    server: makePool(workers, { allowDuplicatePeers: true, maxConnections: 1000, ...options }),
    client: makePool(0, { allowDuplicatePeers: true, maxConnections: 1000 }),
  };
}

for (const { name, workers } of MODES) {
  test(`${name}: broadcast reaches every connection once, encoded once; sharded, each shard gets it once`, async () => {
    const { server, client } = pools(workers);
    try {
      const pairs = await connectMany(server, client, 6);
      // 16 KiB: one record per shard. 700 KiB: more than a ring record holds, so it goes in parts.
      for (const [size, fill] of [[16 * 1024, 7], [700 * 1024, 9]] as const) {
        const before = server.stats().broadcasts;
        const result = server.broadcast(filled(size, fill));
        assert.deepEqual(result, { queued: 6, dropped: 0 });
        for (const [, clientSide] of pairs) assert.deepEqual(await readOne(clientSide), filled(size, fill));
        const after = server.stats().broadcasts;
        assert.equal(after.messages, before.messages + 1);
        const ringBytes = after.ringBytes - before.ringBytes;
        if (workers === 0) assert.equal(ringBytes, 0);
        else {
          // Once per shard (each holds 3 of the 6): the layout, its headers, a few target bytes.
          assert.ok(ringBytes >= workers * size && ringBytes < workers * (size + 1024) * 1.01, `ring bytes ${ringBytes} for ${size}`);
        }
      }
      // A subset: only those get it.
      const chosen = pairs.slice(0, 2).map(([serverSide]) => serverSide);
      assert.deepEqual(server.broadcast(filled(10, 3), chosen), { queued: 2, dropped: 0 });
      for (const [, clientSide] of pairs.slice(0, 2)) assert.deepEqual(await readOne(clientSide), filled(10, 3));
      for (const [, clientSide] of pairs.slice(2)) assert.equal(clientSide.readNow(), undefined);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test(`${name}: a full outgoing queue drops the broadcast as writeNow does; a closed connection counts as dropped`, async () => {
    // 32 KiB outgoing bound, a client that reads nothing yet: writes of 64 KiB fill it at once.
    const { server, client } = pools(workers, { accept: { outgoingMessageQueueSize: 32 * 1024 } });
    try {
      const [[full, fullClient], [free, freeClient], [closing]] = await connectMany(server, client, 3) as [[Conn, Conn], [Conn, Conn], [Conn, Conn]];
      await closing.close();
      assert.equal(closing.closed, true);
      let drained = 0;
      full.on('drain', () => drained++);
      // Filled and broadcast in the same turn: nothing is written to the socket in between.
      let queuedBefore = 0;
      while (queuedBefore < 1000 && full.writeNow(filled(64 * 1024, 1))) queuedBefore++;
      assert.ok(queuedBefore < 1000, 'the outgoing queue filled');
      assert.deepEqual(server.broadcast(filled(100, 2), [full]), { queued: 0, dropped: 1 }, `after ${queuedBefore} writes`);
      assert.deepEqual(server.broadcast(filled(100, 2), [free, closing]), { queued: 1, dropped: 1 });
      assert.deepEqual(await readOne(freeClient), filled(100, 2));
      // The full one gets its own writes, and not the dropped broadcast; then 'drain'.
      for (let i = 0; i < queuedBefore; i++) assert.deepEqual(await readOne(fullClient), filled(64 * 1024, 1));
      const deadline = Date.now() + TIMEOUT;
      while (drained === 0 && Date.now() < deadline) await sleep(10);
      assert.equal(drained, 1, "'drain' after the refused broadcast");
      assert.equal(full.writeNow(filled(5, 5)), true);
      assert.deepEqual(await readOne(fullClient), filled(5, 5));
    } finally {
      await client.close();
      await server.close();
    }
  });

  test(`${name}: a broadcast keeps its place among each connection's own writes`, async () => {
    const { server, client } = pools(workers);
    try {
      const pairs = await connectMany(server, client, 4);
      const ROUNDS = 20;
      for (let round = 0; round < ROUNDS; round++) {
        for (const [serverSide] of pairs) assert.equal(serverSide.writeNow(filled(3000, round)), true);
        assert.deepEqual(server.broadcast(filled(20_000, 100 + round)), { queued: 4, dropped: 0 });
        for (const [serverSide] of pairs) assert.equal(serverSide.writeNow(filled(10, 200 + round)), true);
      }
      for (const [, clientSide] of pairs) {
        for (let round = 0; round < ROUNDS; round++) {
          assert.deepEqual(await readOne(clientSide), filled(3000, round));
          assert.deepEqual(await readOne(clientSide), filled(20_000, 100 + round));
          assert.deepEqual(await readOne(clientSide), filled(10, 200 + round));
        }
      }
    } finally {
      await client.close();
      await server.close();
    }
  });
}
