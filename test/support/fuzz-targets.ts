/**
 * In-process fuzz targets for the pieces a peer's bytes reach first: the byte queue,
 * the chunk reader (queue → opener → framer, as ByteEngine.pump drives them), the wire
 * decoders and the shared-memory ring. Each is a fast-check property against a model; the
 * short run is in test/hostile-fuzz-targets.test.ts, the long one in `npm run fuzz`.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DecodingError, P2pError } from '../../src/shared/errors.ts';
import { createRingBuffer, RingConsumer, RingProducer } from '../../src/shared/ring/record-ring.ts';
import { ByteQueue } from '../../src/shared/session/byte-queue.ts';
import { ChunkOpener, ChunkSealer } from '../../src/shared/session/chunk-cipher.ts';
import { HEADER_LENGTH, MAX_CHUNK_CONTENT, TAG_LENGTH } from '../../src/shared/session/chunk-layout.ts';
import { encodeStream } from '../../src/shared/session/encoded-message.ts';
import { MessageFramer, type FramedMessage } from '../../src/shared/session/message-framer.ts';
import { decodeAck } from '../../src/shared/wire/ack.ts';
import { decodeConnectionMessageBody } from '../../src/shared/wire/connection-message.ts';
import { nodeMetadataCodec } from '../../src/shared/wire/metadata.ts';
import { decodeNetworkVersion } from '../../src/shared/wire/network-version.ts';

export interface FuzzTarget {
  readonly name: string;
  readonly property: fc.IRawProperty<unknown[]>;
}

const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));

/** Push and take against a plain byte array; zero-length pushes and takes, and over-long takes. */
const byteQueue: fc.IRawProperty<unknown[]> = fc.property(
  fc.array(fc.oneof(bytes(40).map((b) => ({ push: b })), fc.nat(60).map((n) => ({ take: n })), fc.constant({ peek: true })), { maxLength: 40 }),
  (ops) => {
    const queue = new ByteQueue();
    let model = Buffer.alloc(0);
    for (const op of ops) {
      if ('push' in op) {
        queue.push(op.push);
        model = Buffer.concat([model, op.push]);
      } else if ('take' in op) {
        if (op.take > model.length) {
          assert.throws(() => queue.take(op.take), RangeError);
          continue;
        }
        assert.deepEqual(queue.take(op.take, Buffer.alloc(16)), model.subarray(0, op.take));
        model = model.subarray(op.take);
      } else if (model.length >= 2) {
        assert.equal(queue.peekUInt16BE(), model.readUInt16BE(0));
      } else {
        assert.throws(() => queue.peekUInt16BE(), RangeError);
      }
      assert.equal(queue.length, model.length);
    }
  },
);

const KEY = Buffer.alloc(32, 9);
const NONCE = Buffer.alloc(24, 3);

/**
 * Messages sealed into chunks, cut into reads, maybe corrupted: the reader yields exactly the
 * messages (clean stream) or stops with a typed error, never anything else.
 */
const chunkReader: fc.IRawProperty<unknown[]> = fc.property(
  fc.array(bytes(300), { maxLength: 6 }),
  fc.integer({ min: 1, max: 700 }),
  fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 1, maxLength: 5 }),
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 2 }),
  fc.integer({ min: 4, max: 400 }),
  (messages, chunkContent, cuts, edits, maxMessageSize) => {
    const sealer = new ChunkSealer(KEY, Buffer.from(NONCE));
    const stream = Buffer.concat(messages.map((m) => Buffer.concat([u32(m.length), m])));
    const wire: Buffer[] = [];
    for (let at = 0; at < stream.length; at += chunkContent) {
      const encoded = encodeStream(stream.subarray(at, at + chunkContent), MAX_CHUNK_CONTENT);
      encoded.consume();
      wire.push(Buffer.from(sealer.seal(encoded)));
    }
    const bytesOnWire = Buffer.concat(wire);
    for (const [at, value] of edits) if (bytesOnWire.length > 0) bytesOnWire[at % bytesOnWire.length] = value;
    const corrupted = edits.length > 0;

    const queue = new ByteQueue();
    const opener = new ChunkOpener(KEY, Buffer.from(NONCE));
    const framer = new MessageFramer(maxMessageSize);
    const got: FramedMessage[] = [];
    const scratch = Buffer.alloc(HEADER_LENGTH + 65535);
    let failure: unknown;
    let cut = 0;
    for (let at = 0; at < bytesOnWire.length && failure === undefined; ) {
      const size = cuts[cut++ % cuts.length]!;
      queue.push(bytesOnWire.subarray(at, at + size));
      at += size;
      try {
        while (queue.length >= HEADER_LENGTH) {
          const length = queue.peekUInt16BE();
          if (length < TAG_LENGTH) throw new DecodingError('NOT_ENOUGH_DATA', 'short chunk');
          if (queue.length < HEADER_LENGTH + length) break;
          const chunk = queue.take(HEADER_LENGTH + length, scratch);
          framer.push(opener.open(chunk.subarray(HEADER_LENGTH)), (m) => got.push({ size: m.size, body: Buffer.from(m.body) }), chunk.buffer !== scratch.buffer);
        }
      } catch (error) {
        failure = error;
      }
    }
    if (failure !== undefined) {
      assert.ok(failure instanceof P2pError, `untyped: ${String(failure)}`);
      return;
    }
    if (corrupted) return;
    const fitting = messages.findIndex((m) => m.length + 4 > maxMessageSize);
    assert.equal(fitting, -1, 'an oversized message was framed');
    assert.deepEqual(
      got.map((m) => m.body),
      messages,
    );
  },
);

/** Random bytes and edges (empty, one byte, 0xff-filled) through every wire decoder: a value or a DecodingError. */
const decoders: fc.IRawProperty<unknown[]> = fc.property(
  fc.oneof(bytes(200), fc.constantFrom(Buffer.alloc(0), Buffer.from([0]), Buffer.alloc(90), Buffer.alloc(0xffff, 0xff))),
  (input) => {
    for (const decode of [decodeConnectionMessageBody, decodeAck, decodeNetworkVersion, (b: Buffer) => nodeMetadataCodec.decode(b)]) {
      try {
        decode(input);
      } catch (error) {
        assert.ok(error instanceof DecodingError, `untyped: ${String(error)}`);
      }
    }
  },
);

/** Records of every length from 0 to the largest, written and read in random turns: FIFO, byte-exact. */
const ring: fc.IRawProperty<unknown[]> = fc.property(
  fc.array(fc.oneof(fc.integer({ min: 0, max: 120 }).map((n) => ({ write: n })), fc.nat(4).map((n) => ({ read: n }))), { maxLength: 40 }),
  (ops) => {
    const buffer = createRingBuffer(256);
    const producer = new RingProducer(buffer);
    const consumer = new RingConsumer(buffer);
    const pending: Buffer[] = [];
    let seq = 0;
    for (const op of ops) {
      if ('write' in op) {
        const length = Math.min(op.write, producer.maxRecordPayload);
        const payload = Buffer.alloc(length, seq & 0xff);
        if (producer.tryWrite(seq, length & 0xffff, payload)) {
          pending.push(payload);
          seq++;
        }
      } else {
        consumer.read((id, kind, payload) => {
          const expected = pending.shift();
          assert.ok(expected, 'a record nobody wrote');
          assert.equal(kind, expected.length & 0xffff);
          assert.deepEqual(Buffer.from(payload), expected);
          void id;
        }, op.read === 0 ? undefined : op.read);
      }
    }
    consumer.read(() => void pending.shift());
    assert.equal(pending.length, 0);
  },
);

export const FUZZ_TARGETS: readonly FuzzTarget[] = [
  { name: 'byte queue', property: byteQueue },
  { name: 'chunk reader', property: chunkReader },
  { name: 'wire decoders', property: decoders },
  { name: 'ring', property: ring },
];

function u32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value);
  return out;
}
