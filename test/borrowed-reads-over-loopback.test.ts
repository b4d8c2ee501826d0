/**
 * Borrowed reads (borrowed-reads.ts): established sockets read into one buffer per thread, and
 * what a connection keeps of a read after its callback is copied into its own memory. Over real
 * loopback sockets in both pool modes: messages of 1 B to 4 MiB with distinct contents, sent in
 * uneven writes so chunks straddle reads at many offsets, arrive byte for byte, also to a slow
 * reader whose queue fills in the middle of a read; a hostile peer (fast-check: valid chunks,
 * then random bytes at random timings) ends in a typed error; the pending-message budget returns
 * to 0. On this Node (24) the fast path must really be taken: a Node update that breaks it fails
 * here instead of silently falling back to 'data' events.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import fc from 'fast-check';
import type { Connection } from '../src/main/connection.ts';
import type { Pool } from '../src/main/pool.ts';
import { P2pError } from '../src/shared/errors.ts';
import { borrowedRead, borrowedReadCount, borrowReads } from '../src/shared/session/borrowed-reads.ts';
import { MAX_CHUNK_CONTENT } from '../src/shared/session/chunk-layout.ts';
import { encodeStream } from '../src/shared/session/encoded-message.ts';
import { makeIdentity, rawClient } from './support/fixtures.ts';
import { MODES } from './support/pools.ts';
import { withPool } from './support/with-pool.ts';
import { establishedPeer, framed, type ScriptedPeer } from './support/scripted-peer.ts';

const MiB = 1024 * 1024;
const SIZES = [1, 0, 3, 100, 4095, 4096, 16_383, 16_384, 65_513, 65_532, 65_536, 65_537, 131_072, 200_001, MiB, 4 * MiB, 7, 70_000];

/** Distinct contents: every body differs from every other at almost every byte. */
function body(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = (i * 131 + (i >>> 8) * 7 + seed * 29 + (i >>> 16)) & 0xff;
  return out;
}

/** A small deterministic generator of write sizes. */
function sizes(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const r = (state >>> 0) % 1000;
    // Mostly mid-sized writes, some tiny ones (a header or a tag cut apart), a few large ones.
    return r < 150 ? 1 + (r % 40) : r < 900 ? 1000 + r * 97 : 150_000 + r * 300;
  };
}

/** `bodies` framed and sealed by `peer`, in chunks of `chunkContent` (messages straddle chunks). */
function sealedStream(peer: ScriptedPeer, bodies: readonly Buffer[], chunkContent: number): Buffer {
  const encoded = encodeStream(Buffer.concat(bodies.map(framed)), chunkContent);
  encoded.consume();
  return Buffer.from(peer.sealer!.seal(encoded));
}

/** Writes `bytes` in uneven pieces, a pause now and then so pieces reach the receiver as separate reads. */
async function writeUnevenly(peer: ScriptedPeer, bytes: Buffer, seed: number): Promise<void> {
  const next = sizes(seed);
  for (let at = 0, n = 0; at < bytes.length; n++) {
    const end = Math.min(bytes.length, at + next());
    peer.raw(bytes.subarray(at, end));
    at = end;
    if (n % 8 === 7) await new Promise((resolve) => setTimeout(resolve, 1));
    if (peer.socket.writableNeedDrain) await once(peer.socket, 'drain');
  }
}

async function acceptedCount(connections: Array<Connection<Uint8Array, undefined>>, count: number): Promise<Connection<Uint8Array, undefined>> {
  for (let i = 0; i < 1000 && connections.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(connections.length, count, 'connection not accepted');
  return connections[count - 1]!;
}

async function eventually(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return done();
}

test('on this Node, an established socket switches to borrowed reads; a socket with bytes in its readable buffer or no TCP handle does not', async () => {
  assert.ok(Number(process.versions.node.split('.')[0]) >= 24, 'the package requires Node 24');
  const server = createServer({ pauseOnConnect: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = await rawClient(port);
  const [socket] = await accepted;
  let got = Buffer.alloc(0);
  const data = Buffer.from('borrowed bytes');
  const { promise: read, resolve } = Promise.withResolvers<void>();
  const onRead = function (this: Socket, bytes: number): boolean {
    assert.equal(this, socket);
    got = Buffer.concat([got, Buffer.from(borrowedRead(bytes))]);
    if (got.length >= data.length) resolve();
    return true;
  };
  assert.equal(borrowReads(socket, onRead), true, "Node's onread mechanism was not found on a live socket");
  assert.equal(borrowReads(socket, () => true), false, 'a socket already borrowing is left alone');
  const before = borrowedReadCount();
  socket.on('data', () => assert.fail("a borrowing socket emitted 'data'"));
  socket.resume();
  client.write(data);
  await read;
  assert.ok(got.equals(data));
  assert.ok(borrowedReadCount() > before);
  const ended = once(socket, 'end');
  client.end();
  await ended; // EOF still comes as 'end' in borrowed mode
  socket.destroy();
  // A socket whose readable side holds bytes: those would come as 'data' after borrowed ones.
  const acceptedBuffered = once(server, 'connection') as Promise<[Socket]>;
  const client2 = await rawClient(port);
  const [buffered] = await acceptedBuffered;
  buffered.read(0); // reads into its readable buffer without flowing
  client2.write('held');
  for (let i = 0; i < 500 && buffered.readableLength === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(buffered.readableLength > 0);
  assert.equal(borrowReads(buffered, () => true), false, 'a socket with buffered bytes stays on data events');
  client2.destroy();
  buffered.destroy();
  server.close();
  const { PassThrough } = await import('node:stream');
  assert.equal(borrowReads(new PassThrough() as unknown as Socket, () => true), false, 'an in-memory duplex stays on data events');
});

/** One peer's messages: every size of SIZES, then many small ones packed in maximal chunks (the queue fills between two of them). */
function script(seed: number): Buffer[] {
  const bodies = SIZES.map((size, i) => body(size, seed * 1000 + i));
  for (let i = 0; i < 600; i++) bodies.push(body(1 + ((i * 37) % 400), seed * 1000 + 100 + i));
  return bodies;
}

/** Four chunk sizes: maximal (a 64 KiB message straddles two), small, odd, and maximal packed with small messages. */
function scriptStream(peer: ScriptedPeer, bodies: readonly Buffer[]): Buffer {
  const n = SIZES.length;
  return Buffer.concat([sealedStream(peer, bodies.slice(0, 12), MAX_CHUNK_CONTENT), sealedStream(peer, bodies.slice(12, 15), 5000), sealedStream(peer, bodies.slice(15, n), 60_001), sealedStream(peer, bodies.slice(n), MAX_CHUNK_CONTENT)]);
}

for (const { name, workers } of MODES) {
  for (const slow of [false, true]) {
    // Three slow connections: at least two share a thread, so one's reads overwrite the thread's
    // buffer while another, paused, still holds the rest of its last read.
    const peers = slow ? 3 : 1;
    const reader = slow ? 'three slow readers under a 4 KiB incoming bound (queues fill in the middle of reads)' : 'a reader';
    test(`${name}: messages of 1 B to 4 MiB, straddling chunks and reads at many offsets, reach ${reader} byte for byte; the pending budget returns to 0`, async () => {
      const options = slow ? { accept: { incomingMessageQueueSize: 4096 } } : {};
      await withPool(workers, options, async (port, connections, pool) => {
        const scripted: ScriptedPeer[] = [];
        for (let p = 0; p < peers; p++) {
          scripted.push(await establishedPeer(port, makeIdentity(1)));
          await acceptedCount(connections, p + 1);
        }
        const borrowedBefore = borrowedReadCount();
        await Promise.all(
          scripted.map(async (peer, p) => {
            const conn = connections[p]!;
            const bodies = script(p + (slow ? 10 : 0));
            const writing = writeUnevenly(peer, scriptStream(peer, bodies), 7 + p + workers + (slow ? 3 : 0));
            for (let i = 0; i < bodies.length; i++) {
              if (slow && i % 3 === 0 && i < SIZES.length + 60) await new Promise((resolve) => setTimeout(resolve, 10 + p * 7));
              const got = await conn.read({ signal: AbortSignal.timeout(20_000) });
              assert.equal(got.size, bodies[i]!.length + 4, `connection ${p}: message ${i} has the wrong size`);
              if (!Buffer.from(got.message).equals(bodies[i]!)) assert.fail(`connection ${p}: message ${i} (${bodies[i]!.length} bytes) arrived altered`);
            }
            await writing;
          }),
        );
        if (workers === 0) assert.ok(borrowedReadCount() > borrowedBefore, 'inline connections read through the borrowed path');
        assert.ok(await eventually(() => pool.stats().pendingMessageBytes === 0, 5000), `pending budget left: ${pool.stats().pendingMessageBytes}`);
        for (const peer of scripted) peer.socket.destroy();
      });
    });
  }
}

/** A hostile stream: valid chunks (whole messages and the start of a large one), then random bytes, cut at random points. */
const hostile = fc.record({
  valid: fc.array(fc.integer({ min: 0, max: 70_000 }), { minLength: 0, maxLength: 4 }),
  partial: fc.integer({ min: 0, max: 200_000 }),
  garbage: fc.uint8Array({ minLength: 1, maxLength: 3000 }),
  cuts: fc.array(fc.integer({ min: 1, max: 90_000 }), { minLength: 1, maxLength: 12 }),
  delays: fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 1, maxLength: 12 }),
  end: fc.constantFrom('fin', 'reset'),
});

for (const { name, workers } of MODES) {
  test(`${name}: a hostile peer's valid chunks then random bytes at random timings give the valid messages, then a typed error; the pending budget returns to 0`, async () => {
    await withPool(workers, { accept: { incomingMessageQueueSize: 8192 } }, async (port, connections, pool) => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(hostile, async ({ valid, partial, garbage, cuts, delays, end }) => {
          connections.length = 0;
          const peer = await establishedPeer(port, makeIdentity(1));
          const conn = await acceptedCount(connections, 1);
          const bodies = valid.map((size, i) => body(size, run * 10 + i));
          run++;
          // The first bytes of a message of `partial` bytes that never completes, then the garbage.
          const start = framed(body(partial, 99)).subarray(0, Math.min(partial + 4, 1 + (partial >>> 1)));
          const stream = Buffer.concat([bodies.length > 0 ? sealedStream(peer, bodies, MAX_CHUNK_CONTENT) : Buffer.alloc(0), sealedChunks(peer, start), Buffer.from(garbage)]);
          for (let at = 0, n = 0; at < stream.length; n++) {
            const step = cuts[n % cuts.length]!;
            peer.raw(stream.subarray(at, at + step));
            at += step;
            const delay = delays[n % delays.length]!;
            if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
          }
          if (end === 'fin') peer.socket.end();
          else peer.socket.resetAndDestroy();
          for (let i = 0; i < bodies.length; i++) {
            const got = await conn.read({ signal: AbortSignal.timeout(10_000) }).catch((error: unknown) => error);
            // A reset may drop what the kernel had not yet handed over: then the typed end comes early.
            if (got instanceof P2pError) {
              await assertTypedEnd(got, pool);
              peer.socket.destroy();
              return;
            }
            assert.ok(!(got instanceof Error), `read failed with ${String(got)}`);
            if (!Buffer.from((got as { message: Uint8Array }).message).equals(bodies[i]!)) assert.fail(`valid message ${i} arrived altered`);
          }
          const error = await conn.read({ signal: AbortSignal.timeout(10_000) }).then(
            () => assert.fail('the garbage produced a message'),
            (error: unknown) => error,
          );
          await assertTypedEnd(error, pool);
          peer.socket.destroy();
        }),
        { numRuns: 8, seed: Number(process.env['FUZZ_SEED'] ?? 4242), endOnFailure: true },
      );
    });
  });
}

/** `plain` sealed as one or more chunks of at most the maximal content (nothing when empty). */
function sealedChunks(peer: ScriptedPeer, plain: Buffer): Buffer {
  if (plain.length === 0) return Buffer.alloc(0);
  const encoded = encodeStream(plain, MAX_CHUNK_CONTENT);
  encoded.consume();
  return Buffer.from(peer.sealer!.seal(encoded));
}

async function assertTypedEnd(error: unknown, pool: Pool<Uint8Array, undefined>): Promise<void> {
  assert.ok(error instanceof P2pError, `not a typed error: ${String(error)}`);
  assert.ok(['DECIPHER_ERROR', 'INVALID_INCOMING_CIPHERTEXT_SIZE', 'DECODING_ERROR', 'CONNECTION_CLOSED'].includes(error.code), error.code);
  assert.ok(await eventually(() => pool.stats().pendingMessageBytes === 0 && pool.stats().connections === 0, 8000), `left: pending ${pool.stats().pendingMessageBytes}, connections ${pool.stats().connections}`);
}

for (const { name, workers } of MODES) {
  test(`${name}: a connection paused by its full queue, bytes still unread, notices its peer's reset without being read; what it queued stays readable, then CONNECTION_CLOSED`, async () => {
    await withPool(workers, { accept: { incomingMessageQueueSize: 128 * 1024 } }, async (port, connections, pool) => {
      const peer = await establishedPeer(port, makeIdentity(1));
      const conn = await acceptedCount(connections, 1);
      const closed = once(conn, 'close');
      const bodies = Array.from({ length: 40 }, (_, i) => body(65_536, 500 + i));
      peer.raw(sealedStream(peer, bodies, MAX_CHUNK_CONTENT));
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(pool.stats().connections, 1, 'the connection is open while its queue is full');
      peer.socket.resetAndDestroy();
      // Nothing reads: only the paused-peer probe can see the reset (twice a second).
      await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('reset not noticed within 3 s')), 3000))]);
      let read = 0;
      for (;;) {
        const got = await conn.read({ signal: AbortSignal.timeout(10_000) }).catch((error: unknown) => error);
        if (got instanceof P2pError) {
          assert.equal(got.code, 'CONNECTION_CLOSED');
          break;
        }
        assert.ok(!(got instanceof Error), String(got));
        if (!Buffer.from((got as { message: Uint8Array }).message).equals(bodies[read]!)) assert.fail(`message ${read} arrived altered`);
        read++;
      }
      assert.ok(read > 0 && read < bodies.length, `${read} messages queued before the reset`);
      assert.ok(await eventually(() => pool.stats().pendingMessageBytes === 0, 5000));
    });
  });
}
