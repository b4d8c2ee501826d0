/**
 * The chunk reader and message framing under arbitrary chunk packing and TCP segmentation, and
 * under corruption: exact messages, or typed errors; never a crash or a hang (fast-check).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { authenticate } from '../src/main/authenticate.ts';
import { bytesCodec } from '../src/main/codecs.ts';
import type { Connection } from '../src/main/connection.ts';
import { P2pError } from '../src/shared/errors.ts';
import { ChunkSealer } from '../src/shared/session/chunk-cipher.ts';
import { handshakeOptions, makeIdentity, settle } from './support/fixtures.ts';
import { byteAtATimePair, memoryPair } from './support/memory-pair.ts';
import { framed, ScriptedPeer } from './support/scripted-peer.ts';
import { sealedChunks } from './support/sealed-chunks.ts';

const server = makeIdentity(1);
const client = makeIdentity(1);
const STREAM_ERRORS = new Set(['DECIPHER_ERROR', 'INVALID_INCOMING_CIPHERTEXT_SIZE', 'DECODING_ERROR', 'CONNECTION_CLOSED']);

/** An established server connection in memory, and the scripted client driving it. */
async function established(maxMessageSize?: number): Promise<{ conn: Connection<Uint8Array, undefined>; peer: ScriptedPeer }> {
  const [clientEnd, serverEnd] = memoryPair();
  const peer = new ScriptedPeer(clientEnd);
  const [auth] = await Promise.all([
    authenticate(serverEnd, { ...handshakeOptions(server), incoming: true, remoteHost: '127.0.0.1', remotePort: 1 }),
    peer.establish(client),
  ]);
  const conn = await auth.accept({ codec: bytesCodec, ...(maxMessageSize ? { maxMessageSize } : {}) });
  return { conn, peer };
}

/** Seals `stream` cut at the given chunk sizes (cycled), as one byte string. */
function sealStream(sealer: ChunkSealer, stream: Buffer, sizes: number[]): Buffer {
  return Buffer.concat(sealedChunks(sealer, stream, sizes));
}

/** Writes `bytes` cut at the given segment sizes (cycled): one 'data' event each. */
function writeSegmented(peer: ScriptedPeer, bytes: Buffer, segments: number[]): void {
  let at = 0;
  let i = 0;
  while (at < bytes.length) {
    const size = Math.max(1, segments[i++ % segments.length]!);
    peer.socket.write(bytes.subarray(at, at + size));
    at += size;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('hang')), ms).unref())]);
}

const messagesArb = fc.array(fc.uint8Array({ minLength: 0, maxLength: 3000 }), { minLength: 1, maxLength: 12 });
const sizesArb = fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 8 });

test('any chunk packing and any segmentation deliver exactly the messages sent, with their sizes', async () => {
  await fc.assert(
    fc.asyncProperty(messagesArb, sizesArb, sizesArb, async (messages, chunkSizes, segments) => {
      const { conn, peer } = await established();
      const stream = Buffer.concat(messages.map((m) => framed(Buffer.from(m))));
      writeSegmented(peer, sealStream(peer.sealer!, stream, chunkSizes), segments);
      for (const message of messages) {
        const got = await withTimeout(conn.read(), 2000);
        assert.deepEqual(Buffer.from(got.message), Buffer.from(message));
        assert.equal(got.size, message.length + 4);
      }
      // The in-memory peer does not answer our FIN, so it goes first (a TCP peer would).
      peer.socket.destroy();
      await conn.close();
    }),
    { numRuns: 40 },
  );
});

test('a corrupted byte anywhere gives the messages before it, then one typed error, then CONNECTION_CLOSED', async () => {
  await fc.assert(
    fc.asyncProperty(messagesArb, sizesArb, fc.nat(), fc.integer({ min: 1, max: 255 }), async (messages, chunkSizes, where, flip) => {
      const { conn, peer } = await established(1 << 20);
      const stream = Buffer.concat(messages.map((m) => framed(Buffer.from(m))));
      const sealed = sealStream(peer.sealer!, stream, chunkSizes);
      const at = where % sealed.length;
      sealed[at] = sealed[at]! ^ flip;
      peer.socket.write(sealed);
      peer.socket.end();
      let delivered = 0;
      for (;;) {
        const outcome = await withTimeout(settle(conn.read()), 2000);
        if (outcome.ok) {
          assert.deepEqual(Buffer.from(outcome.value.message), Buffer.from(messages[delivered]!));
          delivered++;
          assert.ok(delivered <= messages.length);
          continue;
        }
        assert.ok(outcome.error instanceof P2pError, `typed error, got ${outcome.error}`);
        assert.ok(STREAM_ERRORS.has(outcome.error.code ?? ''), outcome.error.code);
        if (outcome.error.code === 'CONNECTION_CLOSED') break;
      }
      const after = await settle(conn.read());
      assert.equal(!after.ok && after.error.code, 'CONNECTION_CLOSED');
    }),
    { numRuns: 60 },
  );
});

test('random bytes after the handshake only ever give typed errors', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 2000 }), sizesArb, async (garbage, segments) => {
      const { conn, peer } = await established(1 << 20);
      writeSegmented(peer, Buffer.from(garbage), segments);
      peer.socket.end();
      const outcome = await withTimeout(settle(conn.read()), 2000);
      assert.equal(outcome.ok, false);
      if (!outcome.ok) assert.ok(STREAM_ERRORS.has(outcome.error.code ?? ''), outcome.error.code);
    }),
    { numRuns: 60 },
  );
});

test('random bytes as a connection message only ever give typed handshake errors', async () => {
  const allowed = new Set(['DECODING_ERROR', 'CONNECTION_CLOSED', 'NOT_ENOUGH_PROOF_OF_WORK', 'INVALID_PUBLIC_KEY', 'DECIPHER_ERROR', 'INVALID_INCOMING_CIPHERTEXT_SIZE', 'TIMEOUT']);
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 400 }), sizesArb, async (garbage, segments) => {
      const [clientEnd, serverEnd] = memoryPair();
      const pending = authenticate(serverEnd, { ...handshakeOptions(server), incoming: true, remoteHost: '127.0.0.1', remotePort: 1, proofOfWorkDifficulty: 0, timeout: 1000 });
      let at = 0;
      let i = 0;
      while (at < garbage.length) {
        const size = segments[i++ % segments.length]!;
        clientEnd.write(garbage.subarray(at, at + size));
        at += size;
      }
      clientEnd.end();
      const outcome = await withTimeout(settle(pending), 3000);
      assert.equal(outcome.ok, false);
      if (!outcome.ok) assert.ok(allowed.has(outcome.error.code ?? ''), `${outcome.error.code}: ${outcome.error.message}`);
      clientEnd.destroy();
    }),
    { numRuns: 80 },
  );
});

test('a whole session delivered one byte at a time, both ways: handshake, accept, messages', async () => {
  const [left, right] = byteAtATimePair();
  const [a, b] = await Promise.all([
    authenticate(left, { ...handshakeOptions(client), incoming: false, remoteHost: '127.0.0.1', remotePort: 1 }),
    authenticate(right, { ...handshakeOptions(server), incoming: true, remoteHost: '127.0.0.1', remotePort: 2 }),
  ]);
  assert.equal(a.info.peerId, server.peerId);
  assert.equal(b.info.peerId, client.peerId);
  const [ca, cb] = await Promise.all([a.accept({ codec: bytesCodec, binaryChunksSize: 100 }), b.accept({ codec: bytesCodec })]);
  const big = Buffer.alloc(20000, 7);
  await ca.write(big);
  await ca.write(Buffer.from('small'));
  await cb.write(Buffer.from('reply'));
  assert.deepEqual(Buffer.from((await cb.read()).message), big);
  assert.equal(Buffer.from((await cb.read()).message).toString(), 'small');
  assert.equal(Buffer.from((await ca.read()).message).toString(), 'reply');
  await Promise.all([ca.close(), cb.close()]);
});
