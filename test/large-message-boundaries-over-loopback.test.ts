/**
 * The receive path that opens a large message's chunks straight into its body (frame-chunk.ts),
 * over real loopback sockets in both pool modes, at its edges: one stream of messages cut at
 * arbitrary chunk sizes (several messages per chunk, a large message starting in the middle of
 * a chunk that ends another, empty messages, a prefix split across chunks) arrives byte for
 * byte; a message of exactly `maxMessageSize` is delivered and one byte more ends the connection
 * with DECODING_ERROR (not DECIPHER_ERROR: the size is refused after the tag); a message whose
 * first chunk was opened into its body and then stalls ends with TIMEOUT after `messageTimeout`;
 * a forged chunk in the middle of a body being opened into place ends the connection with
 * DECIPHER_ERROR after the messages before it, and nothing of the broken body is delivered, while
 * another connection to the same pool keeps working (the shard lives on).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../src/main/connection.ts';
import { P2pError } from '../src/shared/errors.ts';
import { MAX_CHUNK_CONTENT } from '../src/shared/session/chunk-layout.ts';
import { closedWithin, makeIdentity } from './support/fixtures.ts';
import { MODES } from './support/pools.ts';
import { withPool } from './support/with-pool.ts';
import { establishedPeer, framed, type ScriptedPeer } from './support/scripted-peer.ts';
import { sealedChunks } from './support/sealed-chunks.ts';

const identity = makeIdentity(1);
const LIMIT = 300_000;

function body(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = (i * 13 + (i >>> 9) + seed) & 0xff;
  return out;
}

/** The `index`-th connection the pool accepted, waiting up to 10 s for it. */
async function accepted(connections: Array<Connection<Uint8Array, undefined>>, index = 0): Promise<Connection<Uint8Array, undefined>> {
  const deadline = Date.now() + 10_000;
  while (connections.length <= index && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(connections[index], 'no connection accepted');
  return connections[index];
}

function send(peer: ScriptedPeer, bodies: readonly Buffer[], sizes: readonly number[]): void {
  for (const chunk of sealedChunks(peer.sealer!, Buffer.concat(bodies.map(framed)), sizes)) peer.raw(chunk);
}

for (const { name, workers } of MODES) {
  test(`${name}: messages around one chunk's content and the size limit, cut at any chunk sizes, arrive byte for byte; one byte past the limit ends with DECODING_ERROR`, async () => {
    await withPool(workers, { accept: { maxMessageSize: LIMIT } }, async (port, connections) => {
      const peer = await establishedPeer(port, identity);
      const content = MAX_CHUNK_CONTENT;
      const lengths = [content - 4, content - 3, content - 5, 0, content, LIMIT - 4, 3, 49_152 - 3, 100_000, 0, 65_536, LIMIT - 4 - 1, 17];
      const bodies = lengths.map((length, i) => body(length, i));
      // Whole chunks, then a cut that puts several messages in a chunk and starts large ones mid-chunk, then one that splits prefixes.
      for (const sizes of [[content], [content - 1, 7, 50_000, content], [2, content, 65_000, 3]]) send(peer, bodies, sizes);
      const conn = await accepted(connections);
      for (let round = 0; round < 3; round++) {
        for (const expected of bodies) {
          const got = await conn.read({ signal: AbortSignal.timeout(10_000) });
          assert.equal(got.size, expected.length + 4);
          assert.ok(Buffer.from(got.message).equals(expected), `round ${round}: a ${expected.length}-byte message arrived altered`);
        }
      }
      send(peer, [body(LIMIT - 3, 99)], [content]);
      await assert.rejects(conn.read({ signal: AbortSignal.timeout(10_000) }), (error: unknown) => error instanceof P2pError && error.code === 'DECODING_ERROR');
      await closedWithin(peer.socket, 5000);
    });
  });

  test(`${name}: a large message whose first chunk was opened into its body and which then stalls ends with TIMEOUT after messageTimeout`, async () => {
    await withPool(workers, { accept: { maxMessageSize: 4 << 20, messageTimeout: 300 } }, async (port, connections) => {
      const peer = await establishedPeer(port, identity);
      const whole = framed(body(3 << 20, 5));
      peer.sendChunk(whole.subarray(0, MAX_CHUNK_CONTENT)); // the prefix and the first body bytes, then nothing
      peer.sendChunk(whole.subarray(MAX_CHUNK_CONTENT, 2 * MAX_CHUNK_CONTENT));
      const conn = await accepted(connections);
      const started = Date.now();
      await assert.rejects(conn.read({ signal: AbortSignal.timeout(10_000) }), (error: unknown) => error instanceof P2pError && error.code === 'TIMEOUT');
      assert.ok(Date.now() - started < 5000, `TIMEOUT after ${Date.now() - started} ms`);
      await closedWithin(peer.socket, 5000);
    });
  });

  test(`${name}: a forged chunk in the middle of a body opened into place ends with DECIPHER_ERROR; the messages before arrive, nothing of that body does, and the pool serves the next peer`, async () => {
    await withPool(workers, { accept: { maxMessageSize: LIMIT } }, async (port, connections) => {
      const peer = await establishedPeer(port, identity);
      const before = [body(200_000, 1), body(65_536, 2)];
      send(peer, before, [MAX_CHUNK_CONTENT]);
      const broken = sealedChunks(peer.sealer!, framed(body(250_000, 3)), [MAX_CHUNK_CONTENT]);
      const second = broken[1]!;
      second[second.length - 100]! ^= 0x40; // a body-only chunk, opened straight into the body
      for (const chunk of broken) peer.raw(chunk);
      const conn = await accepted(connections);
      for (const expected of before) {
        const got = await conn.read({ signal: AbortSignal.timeout(10_000) });
        assert.ok(Buffer.from(got.message).equals(expected), `a ${expected.length}-byte message arrived altered`);
      }
      await assert.rejects(conn.read({ signal: AbortSignal.timeout(10_000) }), (error: unknown) => error instanceof P2pError && error.code === 'DECIPHER_ERROR');
      await assert.rejects(conn.read({ signal: AbortSignal.timeout(10_000) }), (error: unknown) => error instanceof P2pError && error.code === 'CONNECTION_CLOSED');
      await closedWithin(peer.socket, 5000);
      // The next peer (on the same shard or the other) is served whole.
      for (let i = 0; i < 2; i++) {
        const next = await establishedPeer(port, identity);
        const message = body(200_000, 10 + i);
        send(next, [message], [MAX_CHUNK_CONTENT]);
        const got = await (await accepted(connections, i + 1)).read({ signal: AbortSignal.timeout(10_000) });
        assert.ok(Buffer.from(got.message).equals(message));
        next.socket.destroy();
      }
    });
  });
}
