/**
 * writeNow when the socket cannot take more: messages queue behind the socket, the queue stays
 * within outgoingMessageQueueSize (writeNow then refuses), 'drain' resumes, and everything
 * accepted arrives in order; under an upload limit writeNow does not send faster than the limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from '../src/main/connection.ts';
import { makePool, MODES } from './support/pools.ts';

type Conn = Connection<Uint8Array, undefined>;
type TestPool = ReturnType<typeof makePool>;

/** `client` connected to `server` (listening on 127.0.0.1, port 0): both ends of the connection. */
async function connected(server: TestPool, client: TestPool): Promise<{ server: TestPool; client: TestPool; conn: Conn; peer: Conn }> {
  try {
    const { port } = await server.listen();
    const incoming = server.connections()[Symbol.asyncIterator]().next();
    const conn = await client.connect({ host: '127.0.0.1', port });
    return { server, client, conn, peer: (await incoming).value as Conn };
  } catch (error) {
    await client.close();
    await server.close();
    throw error;
  }
}

for (const { name, workers } of MODES) {
  test(`${name}: writeNow to a peer that does not read refuses within bounded memory, then 'drain' resumes and all arrive in order`, async () => {
    const { server, client, conn, peer } = await connected(makePool(workers, { accept: { incomingMessageQueueSize: 4096 } }), makePool(workers, { accept: { outgoingMessageQueueSize: 64 * 1024 } }));
    try {
      let seq = 0;
      let refused = false;
      // One message per turn, as an echo would: each the first write of its turn.
      for (let turn = 0; turn < 20_000 && !refused; turn++) {
        const message = Buffer.alloc(1024);
        message.writeUInt32BE(seq, 0);
        if (conn.writeNow(message)) seq++;
        else refused = true;
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.ok(refused, `writeNow never refused after ${seq} messages of 1 KiB to a peer that reads nothing`);
      // Kernel buffers on both sides plus the 64 KiB queue: far below 20 MiB.
      assert.ok(seq < 12_000, `${seq} messages accepted`);
      const drained = once(conn, 'drain');
      const received: number[] = [];
      const reading = (async () => {
        for await (const { message } of peer) {
          received.push(Buffer.from(message).readUInt32BE(0));
          if (received.length === seq + 10) break;
        }
      })();
      await drained;
      for (let i = 0; i < 10; i++) {
        const message = Buffer.alloc(1024);
        message.writeUInt32BE(seq + i, 0);
        assert.ok(conn.writeNow(message));
      }
      await reading;
      assert.deepEqual(received, Array.from({ length: seq + 10 }, (_, i) => i));
    } finally {
      await client.close();
      await server.close();
    }
  });

  test(`${name}: writeNow one message per turn under a 64 KiB/s upload limit sends no faster than the limit`, async () => {
    const limit = 64 * 1024;
    const { server, client, conn, peer } = await connected(makePool(workers), makePool(workers, { maxUploadSpeed: limit, accept: { outgoingMessageQueueSize: 32 * 1024 } }));
    try {
      let bytes = 0;
      void (async () => {
        for await (const { size } of peer) bytes += size;
      })();
      const started = performance.now();
      while (performance.now() - started < 1000) {
        conn.writeNow(Buffer.alloc(2048));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await sleep(100);
      const elapsed = (performance.now() - started) / 1000;
      // The limit over the elapsed time, plus a burst of the regulator's quota and a queue in flight.
      assert.ok(bytes <= limit * elapsed + 2 * limit, `${bytes} B in ${elapsed.toFixed(2)} s under ${limit} B/s`);
    } finally {
      await client.close();
      await server.close();
    }
  });
}
