/**
 * The connection contract, the same in both placements (architecture.md): every case runs against
 * `workers: 0` and `workers: 2` from this one file. Queue bounds mean the same bytes, a graceful
 * close delivers what was queued, an immediate one reports what it dropped and the receiver can
 * tell the two apart, leaving a `for await` loop closes, and `pool.connections()` sees every
 * connection even beside a `'connection'` listener.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CloseReason, Connection } from '../src/main/connection.ts';
import type { Pool } from '../src/main/pool.ts';
import { OUTGOING_ENTRY_COST } from '../src/shared/session/queue-costs.ts';
import { withPair, within } from './support/connected-pair.ts';
import { makePool, MODES } from './support/pools.ts';

type Conn = Connection<Uint8Array, undefined>;

/** Reads until the stream ends; the count of messages and the error that ended it. */
async function readAll(conn: Conn): Promise<{ count: number; code: string | undefined }> {
  let count = 0;
  for (;;) {
    try {
      await conn.read();
      count++;
    } catch (error) {
      return { count, code: (error as { code?: string }).code };
    }
  }
}

const MESSAGES = 5000;

for (const { name, workers } of MODES) {
  test(`${name}: outgoingMessageQueueSize bounds queuedOutgoingBytes, each message counted as its layout plus the entry cost`, async () => {
    const bound = 64 * 1024;
    await withPair(workers, { client: { accept: { outgoingMessageQueueSize: bound } }, server: { accept: { incomingMessageQueueSize: 4096 } } }, async (client) => {
      // The server never reads: past the sockets' buffers the queue fills and stays full.
      let accepted = 0;
      for (let i = 0; i < 20_000; i++) {
        const size = 100 + ((i * 37) % 900);
        const before = client.queuedOutgoingBytes;
        const cost = client.encode(new Uint8Array(size)).buffer.length + OUTGOING_ENTRY_COST;
        const queued = client.writeNow(new Uint8Array(size));
        // The admission rule, in bytes the user can see: it fits, or nothing is queued.
        assert.equal(queued, before === 0 || before + cost < bound, `message ${i}: ${before} queued, cost ${cost}`);
        assert.ok(client.queuedOutgoingBytes < bound + cost, `message ${i}: ${client.queuedOutgoingBytes} queued`);
        if (!queued) {
          if (accepted > 0 && i > 2000) break;
          await within(client.writable(), 10_000, 'writable');
          continue;
        }
        accepted++;
        if (i % 500 === 499) await sleep(1); // let the socket side report what it wrote
      }
      assert.ok(accepted > 0);
    });
  });

  test(`${name}: a graceful close delivers all ${MESSAGES} queued writeNow messages, then the peer's reads end cleanly`, async () => {
    await withPair(workers, {}, async (client, server) => {
      for (let i = 0; i < MESSAGES; i++) assert.equal(client.writeNow(Buffer.from(`m${i}`)), true);
      const closed = once(server, 'close') as Promise<[CloseReason]>;
      const outcome = await within(client.close({ wait: true }), 20_000, 'graceful close');
      assert.deepEqual(outcome, { droppedMessages: 0, droppedBytes: 0 });
      const { count, code } = await within(readAll(server), 20_000, 'reads');
      assert.equal(count, MESSAGES);
      assert.equal(code, 'CONNECTION_CLOSED');
      const [reason] = await within(closed, 10_000, "the receiver's close event");
      assert.equal(reason.by, 'peer');
      assert.equal(reason.reset, false);
    });
  });

  test(`${name}: an immediate close drops what was not handed to the socket, says how much, and the receiver sees a reset`, async () => {
    const size = 8 * 1024;
    await withPair(workers, { client: { accept: { outgoingMessageQueueSize: 64 * 1024 * 1024 } }, server: { accept: { incomingMessageQueueSize: 64 * 1024 } } }, async (client, server) => {
      let queued = 0;
      while (queued < MESSAGES && client.writeNow(new Uint8Array(size))) queued++;
      assert.equal(queued, MESSAGES);
      const closed = once(server, 'close') as Promise<[CloseReason]>;
      const localClose = once(client, 'close') as Promise<[CloseReason]>;
      const outcome = await within(client.close(), 20_000, 'immediate close');
      assert.ok(outcome.droppedMessages > 0 && outcome.droppedMessages <= MESSAGES, `dropped ${outcome.droppedMessages}`);
      assert.equal(outcome.droppedBytes > outcome.droppedMessages * size, true);
      const [local] = await within(localClose, 10_000, 'the local close event');
      assert.equal(local.by, 'local');
      assert.equal(local.droppedMessages, outcome.droppedMessages);
      const { count } = await within(readAll(server), 20_000, 'reads');
      assert.ok(count + outcome.droppedMessages <= MESSAGES, `${count} delivered, ${outcome.droppedMessages} dropped`);
      const [reason] = await within(closed, 10_000, "the receiver's close event");
      assert.equal(reason.by, 'peer');
      assert.equal(reason.reset, true);
    });
  });

  for (const messages of [20, MESSAGES]) {
    test(`${name}: an immediate close after ${messages} writeNow to a reader that keeps up: delivered + droppedMessages ≤ written (= when nothing was dropped), and the receiver sees a reset iff something was dropped`, async () => {
      const size = 1024;
      await withPair(workers, { client: { accept: { outgoingMessageQueueSize: 64 * 1024 * 1024 } } }, async (client, server) => {
        const reads = readAll(server);
        const closed = once(server, 'close') as Promise<[CloseReason]>;
        let written = 0;
        while (written < messages && client.writeNow(new Uint8Array(size))) written++;
        assert.equal(written, messages);
        const outcome = await within(client.close(), 20_000, 'immediate close');
        const { count } = await within(reads, 20_000, 'reads');
        const [reason] = await within(closed, 10_000, "the receiver's close event");
        assert.equal(reason.reset, outcome.droppedMessages > 0, `reset ${reason.reset}, ${outcome.droppedMessages} dropped`);
        if (outcome.droppedMessages === 0) assert.equal(count, written);
        else assert.ok(count + outcome.droppedMessages <= written, `${count} delivered, ${outcome.droppedMessages} dropped of ${written}`);
      });
    });
  }

  test(`${name}: a graceful close gives up at its timeout and reports what it dropped`, async () => {
    await withPair(workers, { server: { accept: { incomingMessageQueueSize: 4096 } } }, async (client) => {
      let queued = 0;
      while (queued < MESSAGES && client.writeNow(new Uint8Array(8 * 1024))) queued++;
      // The server never reads, so the queue cannot drain: the bound ends the wait.
      const outcome = await within(client.close({ wait: true, timeout: 200 }), 20_000, 'bounded close');
      assert.ok(outcome.droppedMessages > 0, `dropped ${outcome.droppedMessages}`);
      assert.equal(client.closed, true);
    });
  });

  test(`${name}: leaving a for await loop early closes the connection, and 'close' says it was local`, async () => {
    await withPair(workers, {}, async (client, server) => {
      const closed = once(client, 'close') as Promise<[CloseReason]>;
      await server.write(Buffer.from('one'));
      await server.write(Buffer.from('two'));
      for await (const { message } of client) {
        assert.equal(Buffer.from(message).toString(), 'one');
        break;
      }
      assert.equal(client.closed, true);
      const [reason] = await within(closed, 10_000, 'close event');
      assert.equal(reason.by, 'local');
      const { code } = await within(readAll(server), 10_000, "the peer's reads");
      assert.equal(code, 'CONNECTION_CLOSED');
    });
  });

  test(`${name}: await using closes the connection at the end of its block`, async () => {
    await withPair(workers, {}, async (client, server) => {
      {
        await using conn = client;
        await conn.write(Buffer.from('last'));
      }
      assert.equal(client.closed, true);
      const { count, code } = await within(readAll(server), 10_000, "the peer's reads");
      assert.equal(count, 1);
      assert.equal(code, 'CONNECTION_CLOSED');
    });
  });

  test(`${name}: pool.connections() gets every connection while a 'connection' listener exists, and ends when its signal aborts`, async () => {
    const server = makePool(workers, { allowDuplicatePeers: true });
    const client = makePool(workers, { allowDuplicatePeers: true });
    try {
      const { port } = await server.listen();
      const heard: Conn[] = [];
      server.on('connection', (conn) => heard.push(conn));
      const controller = new AbortController();
      const iterator = server.connections({ signal: controller.signal })[Symbol.asyncIterator]();
      const first = iterator.next();
      await client.connect({ host: '127.0.0.1', port });
      assert.equal((await within(first, 10_000, 'first')).done, false);
      // The loop is busy (not waiting in `next`) while two more arrive.
      await client.connect({ host: '127.0.0.1', port });
      await client.connect({ host: '127.0.0.1', port });
      await within(
        (async () => {
          while (heard.length < 3) await sleep(10);
        })(),
        10_000,
        'three heard',
      );
      const second = await within(iterator.next(), 10_000, 'second');
      const third = await within(iterator.next(), 10_000, 'third');
      assert.equal(second.value, heard[1]);
      assert.equal(third.value, heard[2]);
      const fourth = iterator.next();
      controller.abort();
      await assert.rejects(within(fourth, 10_000, 'aborted'), { code: 'ABORTED' });
    } finally {
      await Promise.all([client.close(), server.close()]);
    }
  });

  test(`${name}: pool.connections() iterators each get every connection`, async () => {
    const server = makePool(workers, { allowDuplicatePeers: true });
    const client = makePool(workers, { allowDuplicatePeers: true });
    try {
      const { port } = await server.listen();
      const a = server.connections()[Symbol.asyncIterator]();
      const b = server.connections()[Symbol.asyncIterator]();
      const [nextA, nextB] = [a.next(), b.next()];
      await client.connect({ host: '127.0.0.1', port });
      const [gotA, gotB] = await within(Promise.all([nextA, nextB]), 10_000, 'both');
      assert.equal(gotA.value, gotB.value);
      await a.return?.(undefined);
      await b.return?.(undefined);
    } finally {
      await Promise.all([client.close(), server.close()]);
    }
  });
}

/** Type-level: the pool's iterator takes options. */
export type ConnectionsOptions = Parameters<Pool<Uint8Array, undefined>['connections']>[0];
