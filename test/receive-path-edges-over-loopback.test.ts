/**
 * The receive path (ByteEngine.pump: header skipped, ChunkOpener.hold copying the tag
 * into the thread's slot, frameChunk; on a shard the BodyTaker) at its edges, over real loopback
 * sockets in both pool modes: tag-only chunks (empty ciphertext) between messages, many small
 * messages in one chunk, bodies at the transfer threshold and opened into place between small
 * ones, with reads handed on in tiny steps (`readBufferSize`, so headers, tags and ciphertexts
 * are cut at every offset) and a slow reader under a small incoming bound (credit and queue run
 * out in the middle of a chunk): every message arrives once, byte for byte, in order. Several
 * connections on one thread interleave their chunks (the tag slot is one per thread). A forged
 * tag-only chunk ends the connection with DECIPHER_ERROR after the messages before it and
 * nothing sent after it is delivered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../src/main/connection.ts';
import { P2pError } from '../src/shared/errors.ts';
import { MAX_CHUNK_CONTENT } from '../src/shared/session/chunk-layout.ts';
import { encodeStream } from '../src/shared/session/encoded-message.ts';
import { closedWithin, makeIdentity } from './support/fixtures.ts';
import { MODES } from './support/pools.ts';
import { withPool } from './support/with-pool.ts';
import { establishedPeer, framed, type ScriptedPeer } from './support/scripted-peer.ts';

const identity = makeIdentity(1);

function body(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + (i >>> 8) + seed * 7) & 0xff;
  return out;
}

/** One sealed chunk holding exactly `plain` (empty: a tag-only chunk). */
function sealed(peer: ScriptedPeer, plain: Buffer): Buffer {
  const encoded = encodeStream(plain, Math.max(1, plain.length));
  encoded.consume();
  return Buffer.from(peer.sealer!.seal(encoded));
}

/**
 * A peer's stream: tag-only chunks between groups, 40 small messages packed in one chunk, a
 * body just under and one at the transfer threshold (16 KiB), a 70,000-byte body (its first
 * chunk opened straight into it) between small ones, empty messages.
 */
function script(seed: number): { chunks: Array<(peer: ScriptedPeer) => Buffer>; bodies: Buffer[] } {
  const bodies: Buffer[] = [];
  const chunks: Array<(peer: ScriptedPeer) => Buffer> = [];
  const empty = (peer: ScriptedPeer): Buffer => sealed(peer, Buffer.alloc(0));
  const packed = (group: Buffer[]): ((peer: ScriptedPeer) => Buffer) => {
    bodies.push(...group);
    const plain = Buffer.concat(group.map(framed));
    return (peer) => sealed(peer, plain);
  };
  chunks.push(empty);
  chunks.push(packed(Array.from({ length: 40 }, (_, i) => body(i % 7 === 0 ? 0 : 1 + ((i * 37) % 200), seed + i))));
  chunks.push(empty, empty);
  chunks.push(packed([body(3, seed), body(16 * 1024 - 1, seed + 1), body(5, seed + 2), body(16 * 1024, seed + 3), body(0, seed)]));
  // A large body cut into maximal chunks: its first chunk starts it (prefix peeked), the rest are body-only.
  const large = body(70_000, seed + 4);
  const small = [body(10, seed + 5), body(11, seed + 6)];
  bodies.push(small[0]!, large, small[1]!);
  const stream = Buffer.concat([framed(small[0]!), framed(large), framed(small[1]!)]);
  for (let at = 0; at < stream.length; at += MAX_CHUNK_CONTENT) {
    const piece = stream.subarray(at, at + MAX_CHUNK_CONTENT);
    chunks.push((peer) => sealed(peer, piece));
    chunks.push(empty);
  }
  chunks.push(packed(Array.from({ length: 30 }, (_, i) => body(20 + i, seed + 50 + i))));
  return { chunks, bodies };
}

async function accepted(connections: Array<Connection<Uint8Array, undefined>>, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (connections.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(connections.length, count, 'connections not accepted');
}

/** Reads `expected` in order from `conn`, pausing now and then so the incoming bound fills mid-chunk. */
async function readAll(conn: Connection<Uint8Array, undefined>, expected: readonly Buffer[], label: string): Promise<void> {
  for (let i = 0; i < expected.length; i++) {
    if (i % 9 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const got = await conn.read({ signal: AbortSignal.timeout(10_000) });
    assert.equal(got.size, expected[i]!.length + 4, `${label}: message ${i} has the wrong size`);
    assert.ok(Buffer.from(got.message).equals(expected[i]!), `${label}: message ${i} (${expected[i]!.length} bytes) arrived altered or out of order`);
  }
}

// Two connections on one thread: in sharded mode one worker, so both sessions share the shard's tag slot.
const ONE_THREAD = [
  { name: 'inline', workers: 0 },
  { name: 'sharded', workers: 1 },
] as const;

for (const { name, workers } of ONE_THREAD) {
  for (const step of [1, 7, 23]) {
    test(`${name}: tag-only chunks, many messages per chunk, bodies at the transfer threshold and opened into place, handed on ${step} byte(s) at a time to two interleaved connections on one thread under a small incoming bound, arrive byte for byte in order`, async () => {
      const limits = { maxDownloadSpeed: 1 << 30, readBufferSize: step, accept: { incomingMessageQueueSize: 600 } };
      await withPool(workers, limits, async (port, connections) => {
        // One at a time, so connections[c] is peers[c]'s.
        const peers: ScriptedPeer[] = [];
        for (let p = 0; p < 2; p++) {
          peers.push(await establishedPeer(port, makeIdentity(1)));
          await accepted(connections, p + 1);
        }
        const scripts = [script(1), script(2)];
        const streams = peers.map((peer, p) => Buffer.concat(scripts[p]!.chunks.map((chunk) => chunk(peer))));
        // Interleave the two peers' writes in small uneven pieces.
        const cursors = [0, 0];
        for (let round = 0; cursors.some((at, p) => at < streams[p]!.length); round++) {
          for (let p = 0; p < 2; p++) {
            const size = 1 + ((round * 131 + p * 57) % 3000);
            const stream = streams[p]!;
            if (cursors[p]! < stream.length) peers[p]!.raw(stream.subarray(cursors[p]!, cursors[p]! + size));
            cursors[p] = Math.min(stream.length, cursors[p]! + size);
          }
        }
        await Promise.all(connections.map((conn, c) => readAll(conn, scripts[c]!.bodies, `connection ${c}`)));
        for (const peer of peers) peer.socket.destroy();
      });
    });
  }
}

for (const { name, workers } of MODES) {
  test(`${name}: a forged tag-only chunk after whole messages in the same read gives those messages, then DECIPHER_ERROR, then CONNECTION_CLOSED; nothing sent after it is delivered`, async () => {
    await withPool(workers, {}, async (port, connections) => {
      const peer = await establishedPeer(port, identity);
      await accepted(connections, 1);
      const before = [body(5, 1), body(0, 2), body(300, 3)];
      const good = sealed(peer, Buffer.concat(before.map(framed)));
      const forged = sealed(peer, Buffer.alloc(0));
      forged[3]! ^= 0x01; // a tag byte
      const after = sealed(peer, framed(body(9, 4))); // valid under the next nonce (it advances on failure)
      peer.raw(Buffer.concat([good, forged, after]));
      const conn = connections[0]!;
      for (const expected of before) {
        const got = await conn.read({ signal: AbortSignal.timeout(10_000) });
        assert.ok(Buffer.from(got.message).equals(expected));
      }
      await assert.rejects(conn.read({ signal: AbortSignal.timeout(10_000) }), (error: unknown) => error instanceof P2pError && error.code === 'DECIPHER_ERROR');
      await assert.rejects(conn.read({ signal: AbortSignal.timeout(10_000) }), (error: unknown) => error instanceof P2pError && error.code === 'CONNECTION_CLOSED');
      await closedWithin(peer.socket, 5000);
    });
  });
}

for (const { name, workers } of ONE_THREAD) {
  test(`${name}: the same stream sent in one write and then ended (FIN) reaches a slow reader whole and in order under a small incoming bound, then CONNECTION_CLOSED`, async () => {
    await withPool(workers, { accept: { incomingMessageQueueSize: 600 } }, async (port, connections) => {
      const peer = await establishedPeer(port, makeIdentity(1));
      await accepted(connections, 1);
      const { chunks, bodies } = script(3);
      peer.raw(Buffer.concat(chunks.map((chunk) => chunk(peer))));
      peer.socket.end();
      const conn = connections[0]!;
      await readAll(conn, bodies, 'connection');
      await assert.rejects(conn.read({ signal: AbortSignal.timeout(10_000) }), (error: unknown) => error instanceof P2pError && error.code === 'CONNECTION_CLOSED');
    });
  });
}

for (const { name, workers } of MODES) {
  for (const declared of [0, 1, 15]) {
    test(`${name}: a chunk header declaring ${declared} bytes (less than a tag), after whole messages and cut into 1-byte reads, gives those messages, then INVALID_INCOMING_CIPHERTEXT_SIZE, then CONNECTION_CLOSED`, async () => {
      await withPool(workers, { maxDownloadSpeed: 1 << 30, readBufferSize: 1 }, async (port, connections) => {
        const peer = await establishedPeer(port, identity);
        await accepted(connections, 1);
        const before = [body(40, 1), body(0, 2)];
        const header = Buffer.alloc(2 + declared);
        header.writeUInt16BE(declared);
        peer.raw(Buffer.concat([sealed(peer, Buffer.concat(before.map(framed))), sealed(peer, Buffer.alloc(0)), header, sealed(peer, framed(body(9, 3)))]));
        const conn = connections[0]!;
        for (const expected of before) assert.ok(Buffer.from((await conn.read({ signal: AbortSignal.timeout(10_000) })).message).equals(expected));
        await assert.rejects(conn.read({ signal: AbortSignal.timeout(10_000) }), (error: unknown) => error instanceof P2pError && error.code === 'INVALID_INCOMING_CIPHERTEXT_SIZE');
        await assert.rejects(conn.read({ signal: AbortSignal.timeout(10_000) }), (error: unknown) => error instanceof P2pError && error.code === 'CONNECTION_CLOSED');
        await closedWithin(peer.socket, 5000);
      });
    });
  }
}

for (const { name, workers } of MODES) {
  test(`${name}: maximal chunks packed with 1-byte and empty messages (13,000 a chunk) reach a reader under a small incoming bound, each once and in order`, async () => {
    await withPool(workers, { accept: { incomingMessageQueueSize: 4096 } }, async (port, connections) => {
      const peer = await establishedPeer(port, identity);
      await accepted(connections, 1);
      const perChunk = Math.floor(MAX_CHUNK_CONTENT / 5);
      const bodies: Buffer[] = [];
      for (let c = 0; c < 3; c++) {
        const group = Array.from({ length: perChunk }, (_, i) => (i % 5 === 4 ? Buffer.alloc(0) : Buffer.from([(c * perChunk + i) & 0xff])));
        bodies.push(...group);
        peer.raw(sealed(peer, Buffer.concat(group.map(framed))));
      }
      const conn = connections[0]!;
      for (let i = 0; i < bodies.length; i++) {
        const got = await conn.read({ signal: AbortSignal.timeout(10_000) });
        if (!Buffer.from(got.message).equals(bodies[i]!)) assert.fail(`message ${i} of ${bodies.length} arrived altered or out of order`);
      }
      peer.socket.destroy();
    });
  });
}
