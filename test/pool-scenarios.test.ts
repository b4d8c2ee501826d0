/**
 * The protocol-core scenarios run through the Pool, inline (`workers: 0`) and sharded
 * (`workers: 2`): the same code, the same results (architecture.md §2).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from '../src/main/connection.ts';
import { settle } from './support/fixtures.ts';
import { echo, makePool, MODES } from './support/pools.ts';

for (const { name, workers } of MODES) {
  test(`${name}: simple, chunked and oversized messages arrive intact both ways`, async () => {
    for (const [size, binaryChunksSize] of [[16, undefined], [256, 21], [131072, undefined], [0, undefined]] as const) {
      const server = makePool(workers, { accept: { binaryChunksSize } });
      const client = makePool(workers, { accept: { binaryChunksSize } });
      try {
        const { port } = await server.listen();
        const incoming = server.connections()[Symbol.asyncIterator]().next();
        const conn = await client.connect({ host: '127.0.0.1', port });
        const peer = (await incoming).value as Connection<Uint8Array, undefined>;
        const [a, b] = [randomBytes(size), randomBytes(size)];
        await Promise.all([conn.writeSync(a), peer.writeSync(b)]);
        const [gotB, gotA] = await Promise.all([conn.read(), peer.read()]);
        assert.deepEqual(Buffer.from(gotA.message), a);
        assert.deepEqual(Buffer.from(gotB.message), b);
        assert.equal(gotA.size, size + 4);
      } finally {
        await client.close();
        await server.close();
      }
    }
  });

  test(`${name}: close-on-read and close-on-write give CONNECTION_CLOSED`, async () => {
    const server = makePool(workers);
    const client = makePool(workers);
    try {
      const { port } = await server.listen();
      server.on('connection', (conn) => void conn.close());
      const reader = await client.connect({ host: '127.0.0.1', port });
      const read = await settle(reader.read());
      assert.equal(!read.ok && read.error.code, 'CONNECTION_CLOSED');
      const writer = await client.connect({ host: '127.0.0.1', port });
      // Until the server's close reached the client (100 ms fixed was too short at load ~6, sharded).
      for (let i = 0; i < 100 && client.size > 0; i++) await sleep(50);
      assert.equal(client.size, 0, 'the server closed the writer');
      const write = await settle(writer.writeSync(randomBytes(16)));
      assert.equal(!write.ok && write.error.code, 'CONNECTION_CLOSED');
    } finally {
      await client.close();
      await server.close();
    }
  });

  test(`${name}: a body the codec refuses gives DECODING_ERROR and ends the connection`, async () => {
    const strict = { encode: (m: Uint8Array) => m, decode: (b: Buffer) => { if (b[0] === 0xff) throw new Error('bad tag'); return b; } };
    const server = makePool(workers, { codec: strict });
    const client = makePool(workers);
    try {
      const { port } = await server.listen();
      const incoming = server.connections()[Symbol.asyncIterator]().next();
      const conn = await client.connect({ host: '127.0.0.1', port });
      const peer = (await incoming).value as Connection<Uint8Array, undefined>;
      await conn.writeSync(Buffer.from('ok'));
      await conn.writeSync(Buffer.from('ffff', 'hex'));
      assert.equal(Buffer.from((await peer.read()).message).toString(), 'ok');
      const bad = await settle(peer.read());
      assert.equal(!bad.ok && bad.error.code, 'DECODING_ERROR');
      const end = await settle(conn.read());
      assert.equal(!end.ok && end.error.code, 'CONNECTION_CLOSED');
    } finally {
      await client.close();
      await server.close();
    }
  });

  test(`${name}: a peer below our proof of work is refused (NOT_ENOUGH_PROOF_OF_WORK) and greylisted`, async () => {
    const server = makePool(workers, { proofOfWorkDifficulty: 100 });
    const client = makePool(workers);
    try {
      const { port } = await server.listen();
      const first = await settle(client.connect({ host: '127.0.0.1', port }));
      assert.equal(!first.ok && first.error.code, 'CONNECTION_CLOSED');
      await sleep(50);
      assert.equal(server.stats().errors['NOT_ENOUGH_PROOF_OF_WORK'], 1);
      // Greylisted: the next attempt from 127.0.0.1 is closed before any handshake.
      const second = await settle(client.connect({ host: '127.0.0.1', port }));
      assert.equal(!second.ok && second.error.code, 'CONNECTION_CLOSED');
      await sleep(50);
      assert.equal(server.stats().errors['POINT_BANNED'], 1);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test(`${name}: echo over 50 connections, every message accounted for`, async () => {
    const server = makePool(workers, { maxConnections: 1000, maxIncomingHandshakes: 100, allowDuplicatePeers: true });
    const client = makePool(workers, { maxConnections: 1000, allowDuplicatePeers: true });
    echo(server);
    try {
      const { port } = await server.listen();
      const conns = await Promise.all(Array.from({ length: 50 }, () => client.connect({ host: '127.0.0.1', port })));
      await Promise.all(
        conns.map(async (conn, c) => {
          for (let i = 0; i < 20; i++) {
            const message = Buffer.from(`${c}:${i}`);
            await conn.write(message);
            assert.deepEqual(Buffer.from((await conn.read()).message), message);
          }
        }),
      );
      assert.equal(server.stats().connections, 50);
      if (workers > 0) assert.equal(server.stats().shards.reduce((n, s) => n + s.connections, 0), 50);
    } finally {
      await client.close();
      await server.close();
    }
  });
}
