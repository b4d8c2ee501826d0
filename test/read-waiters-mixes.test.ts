/**
 * Reads waiting at once, with and without signals (inline, the first without one decodes at
 * delivery, the others a microtask later), one aborted while others wait, readNow beside waiting
 * reads, and the end of the connection while reads wait: each read gets its own message in order,
 * or a typed error, in both modes (a decoding error among them: decoding-error-concurrent-reads).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from '../src/main/connection.ts';
import { escapedErrors, settle } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';

type Conn = Connection<Uint8Array, undefined>;

async function pair(workers: number) {
  const server = makePool(workers);
  const client = makePool(workers);
  const { port } = await server.listen();
  const incoming = server.connections()[Symbol.asyncIterator]().next();
  const conn = await client.connect({ host: '127.0.0.1', port });
  const peer = (await incoming).value as Conn;
  return {
    conn,
    peer,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

const text = (r: { message: Uint8Array }): string => Buffer.from(r.message).toString();

for (const { name, workers } of MODES) {
  test(`${name}: reads waiting at once, some with signals and one aborted, each get the next message in order`, async () => {
    const run = await pair(workers);
    try {
      const aborted = new AbortController();
      const kept = new AbortController();
      const reads = [
        run.peer.read(),
        run.peer.read({ signal: aborted.signal }),
        run.peer.read(),
        run.peer.read({ signal: kept.signal }),
        run.peer.read(),
      ];
      assert.equal(run.peer.readNow(), undefined, 'readNow beside waiting reads takes nothing');
      aborted.abort();
      const abortedRead = await settle(reads[1]!);
      assert.equal(!abortedRead.ok && abortedRead.error.code, 'ABORTED');
      for (const word of ['a', 'b', 'c', 'd', 'e']) run.conn.writeNow(Buffer.from(word));
      const got = await Promise.all([reads[0]!, reads[2]!, reads[3]!, reads[4]!]);
      assert.deepEqual(got.map(text), ['a', 'b', 'c', 'd']);
      assert.equal(text(await run.peer.read()), 'e');
      assert.equal(run.peer.messageCounts.received, 5);
    } finally {
      await run.close();
    }
  });

  test(`${name}: a read waiting alone, then one beside it, across many messages in separate turns`, async () => {
    const run = await pair(workers);
    try {
      for (let i = 0; i < 50; i++) {
        const both = [run.peer.read(), run.peer.read({ signal: new AbortController().signal }), run.peer.read()];
        run.conn.writeNow(Buffer.from(`x${i}`));
        await sleep(0);
        run.conn.writeNow(Buffer.from(`y${i}`));
        run.conn.writeNow(Buffer.from(`z${i}`));
        assert.deepEqual((await Promise.all(both)).map(text), [`x${i}`, `y${i}`, `z${i}`]);
      }
    } finally {
      await run.close();
    }
  });

  test(`${name}: the connection ends while reads wait: CONNECTION_CLOSED for each, nothing escapes`, async () => {
    const escaped = await escapedErrors(async () => {
      const run = await pair(workers);
      try {
        const waiting = [run.peer.read(), run.peer.read({ signal: new AbortController().signal }), run.peer.read()].map(settle);
        await sleep(20);
        await run.conn.close();
        const results = await Promise.all(waiting);
        assert.deepEqual(results.map((r) => !r.ok && r.error.code), ['CONNECTION_CLOSED', 'CONNECTION_CLOSED', 'CONNECTION_CLOSED']);
        const after = await settle(run.peer.read());
        assert.equal(!after.ok && after.error.code, 'CONNECTION_CLOSED');
      } finally {
        await run.close();
      }
    });
    assert.deepEqual(escaped, []);
  });
}
