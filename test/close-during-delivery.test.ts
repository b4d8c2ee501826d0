/**
 * A connection closed by the application while the session is still framing a chunk (from the
 * codec's `decode`, which runs as the session delivers to a waiting `read`) neither holds nor
 * charges to the pool's pending-message budget the unfinished message the rest of that chunk
 * starts: `close` had already settled the budget, so a charge made after it stayed for the
 * pool's lifetime (and, with other such charges, held up every large message of the pool).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../src/main/connection.ts';
import type { MessageCodec } from '../src/main/codecs.ts';
import { P2pError } from '../src/shared/errors.ts';
import { MAX_CHUNK_CONTENT } from '../src/shared/session/chunk-layout.ts';
import { encodeStream } from '../src/shared/session/encoded-message.ts';
import { closedWithin, makeIdentity } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';
import { establishedPeer, framed } from './support/scripted-peer.ts';

const CLOSE_MARK = 0xcc;

for (const { name, workers } of MODES) {
  test(`${name}: a connection closed from decode in the middle of a chunk leaves none of the large message the rest of the chunk starts charged to the pending-message budget`, async () => {
    let current: Connection<Uint8Array, undefined> | undefined;
    const codec: MessageCodec<Uint8Array> = {
      encode: (message) => message,
      decode: (body) => {
        if (body.length === 1 && body[0] === CLOSE_MARK) void current?.close();
        return body;
      },
    };
    const pool = makePool(workers, { codec, accept: { maxMessageSize: 1 << 20 } });
    pool.on('connection', (conn) => (current = conn));
    try {
      const { port } = await pool.listen();
      const peer = await establishedPeer(port, makeIdentity(1));
      const deadline = Date.now() + 10_000;
      while (!current && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      const conn = current!;
      const first = conn.read(); // waiting when the chunk arrives: decoded as it is delivered
      // One chunk: the closing message, a small one, and the start of a 500,000-byte message.
      const head = Buffer.concat([framed(Buffer.from([CLOSE_MARK])), framed(Buffer.from('after'))]);
      const start = Buffer.alloc(MAX_CHUNK_CONTENT - head.length, 7);
      start.writeUInt32BE(500_000, 0);
      const encoded = encodeStream(Buffer.concat([head, start]), MAX_CHUNK_CONTENT);
      encoded.consume();
      peer.raw(peer.sealer!.seal(encoded));
      assert.deepEqual([...(await first).message], [CLOSE_MARK]);
      // What was received before the close may still be read (as in both modes); then CONNECTION_CLOSED.
      let ending: unknown;
      for (let i = 0; i < 3 && ending === undefined; i++) await conn.read({ signal: AbortSignal.timeout(5000) }).catch((error: unknown) => (ending = error));
      assert.ok(ending instanceof P2pError && ending.code === 'CONNECTION_CLOSED', `reads after the close end with ${String(ending)}`);
      await closedWithin(peer.socket, 5000);
      const settle = Date.now() + 5000;
      while (pool.stats().pendingMessageBytes !== 0 && Date.now() < settle) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(pool.stats().pendingMessageBytes, 0, `the closed connection still charges ${pool.stats().pendingMessageBytes} B to the pending-message budget`);
    } finally {
      await pool.close();
    }
  });
}
