/**
 * A chunk opened straight into the body of the message it belongs to (frame-chunk.ts,
 * MessageFramer.directTarget) frames exactly what a chunk opened in place and then framed does:
 * the same messages, byte for byte and size for size, and the same error at the same chunk, for
 * any message sizes and chunkings (a prefix split across chunks, several messages per chunk,
 * empty messages, a message starting in the middle of a chunk), whatever the keystream peek
 * says, and within the framer's memory rule (at most 4× what arrived); a first chunk that fails
 * its tag leaves no body held by the framer (the connection object may outlive the error). Over real loopback
 * sockets in both pool modes: large messages arrive whole, and a forged first chunk of a large
 * message ends the connection with DECIPHER_ERROR, even when its forged prefix announces more
 * than the limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Connection } from '../src/main/connection.ts';
import { P2pError } from '../src/shared/errors.ts';
import { ChunkOpener, ChunkSealer } from '../src/shared/session/chunk-cipher.ts';
import { HEADER_LENGTH, MAX_CHUNK_CONTENT, TAG_LENGTH } from '../src/shared/session/chunk-layout.ts';
import { encodeStream } from '../src/shared/session/encoded-message.ts';
import { frameChunk } from '../src/shared/session/frame-chunk.ts';
import { MessageFramer, type FramedMessage } from '../src/shared/session/message-framer.ts';
import { closedWithin, makeIdentity } from './support/fixtures.ts';
import { settledThreadMemory } from '../bench/probes/memory-probe.ts';
import { makePool, MODES } from './support/pools.ts';
import { establishedPeer, framed } from './support/scripted-peer.ts';
import { sealedChunks } from './support/sealed-chunks.ts';

const KEY = Buffer.alloc(32, 0x42);
const NONCE = Buffer.alloc(24, 0x17);
/** What the framer may hold for a message in progress: 4× what arrived, or its 128 KiB floor (message-framer.ts). */
const BODY_FLOOR = 128 * 1024;

/** A body whose every byte depends on its position, so a body shifted or cut anywhere differs. */
function body(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = (i * 7 + (i >>> 8) + seed) & 0xff;
  return out;
}

interface Outcome {
  readonly messages: Array<{ size: number; body: Buffer }>;
  /** Index of the chunk that failed, and its error code. */
  readonly failed: { chunk: number; code: string } | undefined;
  /** Messages whose first chunk was opened straight into their buffer (the body sits after its prefix). */
  readonly direct: number;
}

interface Lie {
  readonly delta: number;
  readonly absolute: boolean;
}

type Feed = (framer: MessageFramer, opener: ChunkOpener, chunk: Buffer, emit: (message: FramedMessage) => void) => void;

/** The path before: open in place, then frame. */
const inPlace: Feed = (framer, opener, chunk, emit) => framer.push(opener.open(chunk.subarray(HEADER_LENGTH)), emit);
/** The receive path (ByteEngine.pump). */
const direct: Feed = (framer, opener, chunk, emit) => frameChunk(framer, opener, opener.holdAt(chunk, HEADER_LENGTH), emit, true);
/**
 * The receive path with a keystream peek that is off by `delta` (or says `delta` itself, when
 * `absolute`): the authenticated prefix must still decide.
 */
const lyingPeek =
  ({ delta, absolute }: Lie): Feed =>
  (framer, opener, chunk, emit) => {
    const ciphertext = opener.holdAt(chunk, HEADER_LENGTH);
    const content = ciphertext.length;
    const lie = absolute ? delta : Math.max(0, opener.peekHeldUInt32BE(ciphertext) + delta);
    const target = framer.directTarget(content, framer.wantsPrefixPeek(content) ? lie : -1);
    if (target === undefined) framer.push(opener.openHeld(ciphertext), emit);
    else {
      opener.openHeldInto(ciphertext, target);
      framer.pushDirect(target, content, emit);
    }
  };

function receive(chunks: readonly Buffer[], maxMessageSize: number, feed: Feed): Outcome {
  const framer = new MessageFramer(maxMessageSize);
  const opener = new ChunkOpener(KEY, NONCE);
  const messages: Outcome['messages'] = [];
  let direct = 0;
  const emit = (message: FramedMessage): void => {
    if (message.owned && message.body.byteOffset === 4) direct++;
    messages.push({ size: message.size, body: Buffer.from(message.body) });
  };
  for (let i = 0; i < chunks.length; i++) {
    try {
      feed(framer, opener, Buffer.from(chunks[i]!), emit);
    } catch (error) {
      assert.ok(error instanceof P2pError, `untyped error ${String(error)}`);
      return { messages, failed: { chunk: i, code: error.code }, direct };
    }
    assert.ok(framer.pendingBytes <= Math.max(4 * framer.receivedBytes, BODY_FLOOR) + 4, `holds ${framer.pendingBytes} B for ${framer.receivedBytes} B received`);
  }
  return { messages, failed: undefined, direct };
}

const lengthArb = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 64 }),
  fc.integer({ min: 4000, max: 4200 }),
  fc.constantFrom(65_512, 65_513, 65_514, 65_536),
  fc.integer({ min: 60_000, max: 140_000 }),
  fc.integer({ min: 140_000, max: 400_000 }),
);
const chunkSizeArb = fc.oneof(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 4090, max: 4200 }), fc.integer({ min: 20_000, max: MAX_CHUNK_CONTENT }), fc.constant(MAX_CHUNK_CONTENT));
const caseArb = fc.record({
  lengths: fc.array(lengthArb, { minLength: 1, maxLength: 5 }),
  seed: fc.integer({ min: 0, max: 255 }),
  sizes: fc.array(chunkSizeArb, { minLength: 1, maxLength: 5 }),
  maxMessageSize: fc.oneof(fc.constant(1 << 24), fc.integer({ min: 4, max: 300_000 })),
  /** A byte to flip: [chunk index, byte index] (reduced modulo the actual counts). */
  corrupt: fc.option(fc.tuple(fc.nat(), fc.nat()), { nil: undefined, freq: 2 }),
  lie: fc.oneof(
    fc.record({ delta: fc.integer({ min: -100, max: 100 }), absolute: fc.constant(false) }),
    fc.record({ delta: fc.integer({ min: -300_000, max: 300_000 }), absolute: fc.constant(false) }),
    fc.record({ delta: fc.nat({ max: 0xffffffff }), absolute: fc.constant(true) }),
  ),
});
type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

/**
 * Fixed cases run before the generated ones on every run (fast-check's `examples`), so that what
 * the properties must have exercised does not depend on what the generator happened to draw.
 * Five messages of two whole chunks each: every message starts a chunk, so each is opened
 * straight into its body.
 */
const ALIGNED: Case = {
  lengths: Array.from({ length: 5 }, () => 2 * MAX_CHUNK_CONTENT - 4),
  seed: 1,
  sizes: [MAX_CHUNK_CONTENT],
  maxMessageSize: 1 << 24,
  corrupt: undefined,
  lie: { delta: 0, absolute: false },
};
/** Five messages opened into their bodies, twice (the second with a peek that lies). */
const DIRECT_EXAMPLES: Case[] = [ALIGNED, { ...ALIGNED, seed: 2, lie: { delta: 0xffffffff, absolute: true } }];
/** One failure each: the first and the second chunk of a message opened into its body fail their tag, a message over the limit, a forged prefix under a lying peek. */
const FAILING_EXAMPLES: Case[] = [
  { ...ALIGNED, corrupt: [0, 10] },
  { ...ALIGNED, corrupt: [1, 100] },
  { ...ALIGNED, maxMessageSize: 100_000 },
  { ...ALIGNED, corrupt: [0, TAG_LENGTH + 1], lie: { delta: 70_000, absolute: true } },
];

test('a chunk opened into its message body frames the same messages, sizes and errors as one opened in place, for any sizes and chunkings', () => {
  let directMessages = 0;
  let failures = 0;
  fc.assert(
    fc.property(caseArb, ({ lengths, seed, sizes, maxMessageSize, corrupt, lie }) => {
      const bodies = lengths.map((length, i) => body(length, seed + i));
      const chunks = sealedChunks(new ChunkSealer(KEY, NONCE), Buffer.concat(bodies.map(framed)), sizes);
      if (corrupt) {
        const chunk = chunks[corrupt[0] % chunks.length]!;
        // Never the length header: that is INVALID_INCOMING_CIPHERTEXT_SIZE's business, before any opening.
        chunk[HEADER_LENGTH + (corrupt[1] % (chunk.length - HEADER_LENGTH))]! ^= 1 << corrupt[1] % 8;
      }
      const before = receive(chunks, maxMessageSize, inPlace);
      const now = receive(chunks, maxMessageSize, direct);
      const lied = receive(chunks, maxMessageSize, lyingPeek(lie));
      assert.deepEqual(now.messages, before.messages);
      assert.deepEqual(now.failed, before.failed);
      assert.deepEqual(lied.messages, before.messages);
      assert.deepEqual(lied.failed, before.failed);
      if (!corrupt && lengths.every((length) => length + 4 <= maxMessageSize)) {
        assert.equal(before.failed, undefined);
        assert.deepEqual(
          before.messages,
          bodies.map((b) => ({ size: b.length + 4, body: b })),
        );
      }
      directMessages += now.direct;
      if (now.failed) failures++;
    }),
    { numRuns: 200, examples: [...DIRECT_EXAMPLES, ...FAILING_EXAMPLES].map((example) => [example]) },
  );
  // The property must have exercised the new path and its failures, not only the old one: the
  // fixed examples alone give 10 direct messages and 4 failures.
  assert.ok(directMessages >= 10, `only ${directMessages} messages were opened straight into their bodies`);
  assert.ok(failures >= 4, `only ${failures} runs failed`);
});

test('opened into the body, a message in progress holds what it held opened in place after every chunk, and an owned body is alone in its ArrayBuffer after at most its prefix', () => {
  let owned = 0;
  fc.assert(
    fc.property(caseArb, fc.boolean(), ({ lengths, seed, sizes }, detachSmall) => {
      const bodies = lengths.map((length, i) => body(length, seed + i));
      const chunks = sealedChunks(new ChunkSealer(KEY, NONCE), Buffer.concat(bodies.map(framed)), sizes);
      const before = new MessageFramer(1 << 24, detachSmall);
      const now = new MessageFramer(1 << 24, detachSmall);
      const beforeOpener = new ChunkOpener(KEY, NONCE);
      const nowOpener = new ChunkOpener(KEY, NONCE);
      const got: FramedMessage[] = [];
      for (const chunk of chunks) {
        inPlace(before, beforeOpener, Buffer.from(chunk), () => undefined);
        direct(now, nowOpener, Buffer.from(chunk), (message) => got.push(message));
        // The pending-message budget and messageTimeout read these after every chunk (byte-engine.ts).
        assert.equal(now.pendingBytes, before.pendingBytes);
        assert.equal(now.receivedBytes, before.receivedBytes);
      }
      assert.deepEqual(
        got.map((message) => Buffer.from(message.body)),
        bodies,
      );
      // A shard transfers an owned body's whole ArrayBuffer (send-to-main.ts): nothing else may live in it.
      const others = new Set(got.filter((message) => !message.owned).map((message) => message.body.buffer));
      const seen = new Set<ArrayBufferLike>();
      for (const { owned: isOwned, body: b } of got) {
        if (!isOwned) continue;
        owned++;
        assert.equal(b.byteOffset + b.length, b.buffer.byteLength);
        assert.ok(b.byteOffset === 0 || (b.byteOffset === 4 && Buffer.from(b.buffer, 0, 4).readUInt32BE(0) === b.length), `body at ${b.byteOffset}`);
        assert.ok(!others.has(b.buffer) && !seen.has(b.buffer), 'an owned body shares its ArrayBuffer');
        seen.add(b.buffer);
      }
    }),
    { numRuns: 150, examples: DIRECT_EXAMPLES.flatMap((example) => [[example, false], [example, true]] as Array<[Case, boolean]>) },
  );
  // The fixed examples alone give 20 owned bodies (five per example and mode).
  assert.ok(owned >= 20, `only ${owned} owned bodies`);
});

test('a forged first chunk of a large message fails with DECIPHER_ERROR on both paths, whatever its prefix announces, and the nonce moves on', () => {
  for (const announced of [0x80000000, 0xffffffff, 100 * 1024 * 1024, 70_000, 65_536]) {
    const message = body(200_000, 3);
    const chunks = sealedChunks(new ChunkSealer(KEY, NONCE), framed(message), [MAX_CHUNK_CONTENT]);
    const first = chunks[0]!;
    // Forge the prefix's ciphertext so that the peek reads `announced` (XOR is malleable; the tag is not).
    const real = message.length;
    const at = HEADER_LENGTH + TAG_LENGTH;
    first.writeUInt32BE((first.readUInt32BE(at) ^ real ^ announced) >>> 0, at);
    const framer = new MessageFramer(1 << 24);
    const opener = new ChunkOpener(KEY, NONCE);
    assert.equal(opener.peekHeldUInt32BE(opener.holdAt(first, HEADER_LENGTH)), announced, 'the peek reads the forged prefix');
    assert.throws(
      () => frameChunk(framer, opener, opener.holdAt(first, HEADER_LENGTH), () => assert.fail('nothing may be emitted'), true),
      (error: unknown) => error instanceof P2pError && error.code === 'DECIPHER_ERROR',
    );
    // The nonce advanced: the next genuine chunk does not open with the forged chunk's nonce.
    assert.throws(() => new ChunkOpener(KEY, NONCE).open(Buffer.from(chunks[1]!).subarray(HEADER_LENGTH)), (error: unknown) => error instanceof P2pError && error.code === 'DECIPHER_ERROR');
    assert.doesNotThrow(() => opener.open(Buffer.from(chunks[1]!).subarray(HEADER_LENGTH)));
  }
});

test('a first chunk that fails its tag leaves nothing held by the framer: the body it was to be opened into is dropped', async () => {
  const FRAMERS = 40;
  const chunks: Buffer[] = [];
  for (let i = 0; i < FRAMERS; i++) {
    const first = sealedChunks(new ChunkSealer(KEY, NONCE), framed(body(200_000, i)), [MAX_CHUNK_CONTENT])[0]!;
    first[HEADER_LENGTH]! ^= 1; // the tag: the peek still reads the true 200,000
    chunks.push(first);
  }
  const framers = chunks.map(() => new MessageFramer(1 << 24));
  const before = (await settledThreadMemory(0)).arrayBuffers;
  for (let i = 0; i < FRAMERS; i++) {
    assert.throws(
      () => {
        const opener = new ChunkOpener(KEY, NONCE);
        frameChunk(framers[i]!, opener, opener.holdAt(chunks[i]!, HEADER_LENGTH), () => assert.fail('nothing may be emitted'), true);
      },
      (error: unknown) => error instanceof P2pError && error.code === 'DECIPHER_ERROR',
    );
    assert.equal(framers[i]!.pendingBytes, 0);
  }
  const held = (await settledThreadMemory(0)).arrayBuffers - before;
  // Opened in place, a failed chunk allocates nothing; a kept 200 KB body each would be 8 MB.
  assert.ok(held < 1 << 20, `${FRAMERS} framers hold ${held} B of ArrayBuffers after their first chunk failed`);
  assert.equal(framers.length + chunks.length, 2 * FRAMERS); // both stay reachable until here
});

const identity = makeIdentity(1);
const SIZES = [65_536, 65_513, 65_514, 4096, 0, 200_000, 1 << 20, 70_000];

for (const { name, workers } of MODES) {
  test(`${name}: large messages opened into their bodies arrive whole over loopback; a forged first chunk announcing more than the limit ends the connection with DECIPHER_ERROR`, async () => {
    const pool = makePool(workers, { accept: { maxMessageSize: 2 << 20 } });
    const connections: Array<Connection<Uint8Array, undefined>> = [];
    pool.on('connection', (conn) => connections.push(conn));
    try {
      const { port } = await pool.listen();
      const peer = await establishedPeer(port, identity);
      const sent = SIZES.map((size, i) => body(size, i));
      for (const message of sent) {
        const encoded = encodeStream(framed(message), MAX_CHUNK_CONTENT);
        encoded.consume();
        peer.raw(peer.sealer!.seal(encoded));
      }
      // A 200 KB message whose first chunk announces 1 GiB (past the 2 MiB limit) and is forged.
      const forged = encodeStream(framed(body(200_000, 9)), MAX_CHUNK_CONTENT);
      forged.consume();
      const wire = peer.sealer!.seal(forged);
      const at = HEADER_LENGTH + TAG_LENGTH;
      wire.writeUInt32BE((wire.readUInt32BE(at) ^ 200_000 ^ (1 << 30)) >>> 0, at);
      peer.raw(wire);

      const deadline = Date.now() + 10_000;
      while (connections.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      const conn = connections[0]!;
      for (const message of sent) {
        const got = await conn.read({ signal: AbortSignal.timeout(10_000) });
        assert.equal(got.size, message.length + 4);
        assert.ok(Buffer.from(got.message).equals(message), `a ${message.length}-byte message arrived altered`);
      }
      await assert.rejects(conn.read({ signal: AbortSignal.timeout(10_000) }), (error: unknown) => error instanceof P2pError && error.code === 'DECIPHER_ERROR');
      await closedWithin(peer.socket, 5000);
    } finally {
      await pool.close();
    }
  });
}
