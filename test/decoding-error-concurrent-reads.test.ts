/**
 * A message that does not decode ends the connection: the read that met it rejects with
 * DECODING_ERROR, and no read waiting beside it gets a message framed after it (OCaml's reader
 * stops at the bad message, protocol.md §9.2). Reads with and without a signal, in either order,
 * in both modes: inline, a read without a signal decodes as the session delivers, one with a
 * signal decodes a microtask later, so the one behind could decode first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from '../src/main/connection.ts';
import { escapedErrors, settle } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';

type Conn = Connection<Uint8Array, undefined>;

const refusing = {
  encode: (message: Uint8Array): Uint8Array => message,
  decode: (body: Buffer): Uint8Array => {
    if (body[0] === 0xff) throw new Error('refused body');
    return body;
  },
};

const ORDERS = [
  ['plain', 'plain'],
  ['plain', 'signal'],
  ['signal', 'plain'],
  ['signal', 'signal'],
] as const;

for (const { name, workers } of MODES) {
  test(`${name}: a read waiting beside the one that meets an undecodable message gets CONNECTION_CLOSED, not the message after it`, async () => {
    const server = makePool(workers, { codec: refusing });
    const client = makePool(workers);
    try {
      const { port } = await server.listen();
      for (const order of ORDERS) {
        const escaped = await escapedErrors(async () => {
          const incoming = server.connections()[Symbol.asyncIterator]().next();
          const conn = await client.connect({ host: '127.0.0.1', port });
          const peer = (await incoming).value as Conn;
          const read = (kind: 'plain' | 'signal') => settle(kind === 'plain' ? peer.read() : peer.read({ signal: new AbortController().signal }));
          const [first, second] = [read(order[0]), read(order[1])];
          await sleep(20); // both wait
          // One socket read: the session frames both while the first is decoded.
          assert.equal(conn.writeNow(Buffer.from([0xff])), true);
          assert.equal(conn.writeNow(Buffer.from([0x02])), true);
          const [a, b] = await Promise.all([first, second]);
          assert.equal(!a.ok && a.error.code, 'DECODING_ERROR', `${order}: first read`);
          assert.equal(!b.ok && b.error.code, 'CONNECTION_CLOSED', `${order}: second read got ${b.ok ? `message ${b.value.message[0]}` : b.error.code}`);
          assert.equal(peer.messageCounts.received, 0, `${order}: nothing delivered`);
          await conn.close();
          // The next order dials with the same peer id: the server must have let this one go first
          // (else ALREADY_CONNECTED, which a loaded machine made likely).
          await peer.ended;
        });
        assert.deepEqual(escaped, []);
      }
    } finally {
      await client.close();
      await server.close();
    }
  });
}
