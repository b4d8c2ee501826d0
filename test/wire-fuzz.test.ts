import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { DecodingError } from '../src/shared/errors.ts';
import type { DecodingReason } from '../src/shared/errors.ts';
import { decodeAck, encodeAck } from '../src/shared/wire/ack.ts';
import type { AckMessage } from '../src/shared/wire/ack.ts';
import { BinaryReader } from '../src/shared/wire/binary-reader.ts';
import { decodeConnectionMessageBody, encodeConnectionMessage } from '../src/shared/wire/connection-message.ts';
import type { ConnectionMessage } from '../src/shared/wire/connection-message.ts';
import { emptyMetadataCodec, nodeMetadataCodec, nodeMetadataConfig } from '../src/shared/wire/metadata.ts';
import { decodeNetworkVersion, encodeNetworkVersion } from '../src/shared/wire/network-version.ts';
import type { NetworkVersion } from '../src/shared/wire/network-version.ts';
import { canonicalHost, formatPoint, parsePoint, pointsEqual } from '../src/shared/wire/point.ts';
import type { Point } from '../src/shared/wire/point.ts';

const vectors = JSON.parse(readFileSync(new URL('./vectors/handshake.json', import.meta.url), 'utf8')) as {
  session: { connection_message_A: string; connection_message_B: string; chunks: { what: string; plaintext: string }[] };
};

// Bounded so the whole file runs in a few seconds; a seed can be replayed with `{ seed, path }`.
const RUNS = { numRuns: 300 };

/** The decoder may succeed or throw, but a throw must be a DecodingError and nothing else. */
function onlyDecodingErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DecodingError, `expected a DecodingError, got ${String(err)}`);
    assert.equal(err.code, 'DECODING_ERROR');
  }
}

function failsWith(fn: () => unknown, reason: DecodingReason): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DecodingError, `expected a DecodingError, got ${String(err)}`);
    assert.equal(err.code, 'DECODING_ERROR');
    assert.equal(err.reason, reason);
    return;
  }
  assert.fail(`expected DecodingError ${reason}, got a value`);
}

const bytes = (maxLength: number): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));
const fixedBytes = (n: number): fc.Arbitrary<Buffer> => fc.uint8Array({ minLength: n, maxLength: n }).map((a) => Buffer.from(a));
// fast-check 4 builds records with a null prototype unless told otherwise; deepEqual cares.
const PLAIN = { noNullPrototype: true } as const;
const uint16 = fc.integer({ min: 0, max: 0xffff });

/** Overwrite a few positions of a valid encoding with random bytes. */
function mutated(valid: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc
    .tuple(valid, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }))
    .map(([buf, edits]) => {
      const out = Buffer.from(buf);
      for (const [at, value] of edits) if (out.length > 0) out[at % out.length] = value;
      return out;
    });
}

/** A valid encoding cut strictly short. */
function truncated(valid: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc.tuple(valid, fc.nat()).map(([buf, cut]) => buf.subarray(0, buf.length === 0 ? 0 : cut % buf.length));
}

const networkVersionArb: fc.Arbitrary<NetworkVersion> = fc.record({
  chainName: fc.oneof(fc.string({ maxLength: 40 }), bytes(40).map((b) => b.toString('latin1'))),
  distributedDbVersion: uint16,
  p2pVersion: uint16,
}, PLAIN);

const connectionMessageArb: fc.Arbitrary<ConnectionMessage> = fc.record({
  port: fc.option(fc.integer({ min: 1, max: 0xffff }), { nil: undefined }),
  publicKey: fixedBytes(32),
  proofOfWorkStamp: fixedBytes(24),
  messageNonce: fixedBytes(24),
  version: networkVersionArb,
}, PLAIN);

const hostArb: fc.Arbitrary<string> = fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4().map((ip) => `::ffff:${ip}`));
const pointArb: fc.Arbitrary<Point> = fc.record({ host: hostArb, port: uint16 }, PLAIN);
const canonical = (p: Point): Point => ({ host: canonicalHost(p.host)!, port: p.port });

const ackArb: fc.Arbitrary<AckMessage> = fc.oneof(
  fc.constant<AckMessage>({ kind: 'ack' }),
  fc.constant<AckMessage>({ kind: 'nack_v0' }),
  fc.record({
    kind: fc.constant('nack' as const),
    motive: fc.integer({ min: -0x8000, max: 0x7fff }),
    points: fc.array(pointArb, { maxLength: 12 }),
  }, PLAIN),
);

const connectionBodyArb = connectionMessageArb.map((m) => encodeConnectionMessage(m).subarray(2));
const ackBytesArb = ackArb.map(encodeAck);
const versionBytesArb = networkVersionArb.map(encodeNetworkVersion);

/** Text close to the point grammar, so the fuzzer reaches deep into the parser. */
const pointTextArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:.[]#_-xyz%id'.split('')), maxLength: 50 }),
  fc.string({ unit: 'binary', maxLength: 50 }),
  fc.tuple(pointArb, fc.string({ maxLength: 8 })).map(([p, junk]) => formatPoint(p) + junk),
  fc.tuple(pointArb, fc.nat()).map(([p, cut]) => {
    const text = formatPoint(p);
    return text.slice(0, cut % (text.length + 1));
  }),
);

test('connection message body: random bytes only throw DecodingError', () => {
  fc.assert(fc.property(bytes(200), (b) => onlyDecodingErrors(() => decodeConnectionMessageBody(b))), RUNS);
  fc.assert(fc.property(mutated(connectionBodyArb), (b) => onlyDecodingErrors(() => decodeConnectionMessageBody(b))), RUNS);
});

test('connection message body: truncations are NOT_ENOUGH_DATA, an extra byte EXTRA_BYTES', () => {
  fc.assert(fc.property(truncated(connectionBodyArb), (b) => failsWith(() => decodeConnectionMessageBody(b), 'NOT_ENOUGH_DATA')), RUNS);
  fc.assert(
    fc.property(connectionBodyArb, fc.integer({ min: 0, max: 255 }), (b, x) =>
      failsWith(() => decodeConnectionMessageBody(Buffer.concat([b, Buffer.from([x])])), 'EXTRA_BYTES'),
    ),
    RUNS,
  );
});

test('connection message: encode then decode round-trips, and the vectors re-encode', () => {
  fc.assert(
    fc.property(connectionMessageArb, (m) => {
      const wire = encodeConnectionMessage(m);
      assert.equal(wire.readUInt16BE(0), wire.length - 2);
      assert.deepEqual(decodeConnectionMessageBody(wire.subarray(2)), m);
    }),
    RUNS,
  );
  for (const h of [vectors.session.connection_message_A, vectors.session.connection_message_B]) {
    const wire = Buffer.from(h, 'hex');
    assert.ok(encodeConnectionMessage(decodeConnectionMessageBody(wire.subarray(2))).equals(wire));
  }
});

test('network version: random bytes only throw DecodingError, truncations NOT_ENOUGH_DATA', () => {
  fc.assert(fc.property(bytes(40), (b) => onlyDecodingErrors(() => decodeNetworkVersion(b))), RUNS);
  fc.assert(fc.property(mutated(versionBytesArb), (b) => onlyDecodingErrors(() => decodeNetworkVersion(b))), RUNS);
  fc.assert(fc.property(truncated(versionBytesArb), (b) => failsWith(() => decodeNetworkVersion(b), 'NOT_ENOUGH_DATA')), RUNS);
});

test('network version: encode then decode round-trips byte for byte', () => {
  fc.assert(
    fc.property(networkVersionArb, (v) => {
      let encoded: Buffer;
      try {
        encoded = encodeNetworkVersion(v);
      } catch {
        // Names with code points above U+00FF are refused by design; check the refusal is that.
        assert.ok([...v.chainName].some((c) => c.charCodeAt(0) > 0xff));
        return;
      }
      assert.deepEqual(decodeNetworkVersion(encoded), v);
    }),
    RUNS,
  );
});

test('ack: random bytes only throw DecodingError', () => {
  fc.assert(fc.property(bytes(80), (b) => onlyDecodingErrors(() => decodeAck(b))), RUNS);
  fc.assert(
    fc.property(bytes(80), (b) => onlyDecodingErrors(() => decodeAck(Buffer.concat([Buffer.from([1]), b])))),
    RUNS,
  );
  fc.assert(fc.property(mutated(ackBytesArb), (b) => onlyDecodingErrors(() => decodeAck(b))), RUNS);
});

test('ack: truncations are NOT_ENOUGH_DATA', () => {
  fc.assert(fc.property(truncated(ackBytesArb), (b) => failsWith(() => decodeAck(b), 'NOT_ENOUGH_DATA')), RUNS);
});

test('ack: encode then decode round-trips (hosts come back canonical)', () => {
  fc.assert(
    fc.property(ackArb, (m) => {
      const expected = m.kind === 'nack' ? { ...m, points: m.points.map(canonical) } : m;
      const decoded = decodeAck(encodeAck(m));
      assert.deepEqual(decoded, expected);
      assert.ok(encodeAck(decoded).equals(encodeAck(m)));
    }),
    RUNS,
  );
});

test('node metadata: the session vectors, and any non-zero byte reads as true', () => {
  const plain = (prefix: string): Buffer => {
    const chunk = vectors.session.chunks.find((c) => c.what.startsWith(prefix));
    assert.ok(chunk, prefix);
    return Buffer.from(chunk.plaintext, 'hex');
  };
  assert.deepEqual(nodeMetadataCodec.decode(plain('A->B metadata #0')), { disableMempool: false, privateNode: false });
  assert.deepEqual(nodeMetadataCodec.decode(plain('B->A metadata #0')), { disableMempool: false, privateNode: true });
  assert.equal(nodeMetadataCodec.encode({ disableMempool: false, privateNode: true }).toString('hex'), '00ff');
  assert.equal(nodeMetadataCodec.encode({ disableMempool: true, privateNode: false }).toString('hex'), 'ff00');
  assert.deepEqual(nodeMetadataCodec.decode(Buffer.from('0180', 'hex')), { disableMempool: true, privateNode: true });
  const config = nodeMetadataConfig({ disableMempool: true, privateNode: false });
  assert.equal(config.privateNode({ disableMempool: false, privateNode: true }), true);
  assert.equal(config.codec.encode(config.value).toString('hex'), 'ff00');
});

test('node metadata: random bytes only throw DecodingError; exact length; round-trip', () => {
  fc.assert(
    fc.property(bytes(6), (b) => {
      if (b.length === 2) {
        assert.deepEqual(nodeMetadataCodec.decode(b), { disableMempool: b[0] !== 0, privateNode: b[1] !== 0 });
      } else {
        failsWith(() => nodeMetadataCodec.decode(b), b.length < 2 ? 'NOT_ENOUGH_DATA' : 'EXTRA_BYTES');
      }
    }),
    RUNS,
  );
  fc.assert(
    fc.property(fc.record({ disableMempool: fc.boolean(), privateNode: fc.boolean() }, PLAIN), (m) =>
      assert.deepEqual(nodeMetadataCodec.decode(nodeMetadataCodec.encode(m)), m),
    ),
    RUNS,
  );
});

test('empty metadata: 0 bytes, anything else is EXTRA_BYTES', () => {
  assert.equal(emptyMetadataCodec.encode(undefined).length, 0);
  assert.equal(emptyMetadataCodec.decode(Buffer.alloc(0)), undefined);
  fc.assert(fc.property(bytes(4).filter((b) => b.length > 0), (b) => failsWith(() => emptyMetadataCodec.decode(b), 'EXTRA_BYTES')), RUNS);
});

test('parsePoint: arbitrary text only throws DecodingError USER_FUNCTION', () => {
  fc.assert(
    fc.property(pointTextArb, (text) => {
      try {
        const p = parsePoint(text);
        assert.equal(canonicalHost(p.host), p.host);
      } catch (err) {
        assert.ok(err instanceof DecodingError, `expected a DecodingError, got ${String(err)}`);
        assert.equal(err.code, 'DECODING_ERROR');
        assert.equal(err.reason, 'USER_FUNCTION');
      }
    }),
    { numRuns: 1000 },
  );
});

test('point: format then parse round-trips to the canonical point', () => {
  fc.assert(
    fc.property(pointArb, (p) => {
      const text = formatPoint(p);
      assert.ok(text.length <= 47);
      const parsed = parsePoint(text);
      assert.deepEqual(parsed, canonical(p));
      assert.ok(pointsEqual(parsed, p));
      assert.equal(formatPoint(parsed), text);
    }),
    { numRuns: 1000 },
  );
});

test('point: IPv6 canonical text agrees with the WHATWG URL serializer (an independent RFC 5952 writer)', () => {
  fc.assert(
    fc.property(fc.ipV6(), (ip) => {
      const ours = canonicalHost(ip);
      assert.ok(ours !== undefined, ip);
      const whatwg = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
      if (ours.includes('.')) {
        // We write IPv4-mapped addresses dotted (protocol.md §8.3); WHATWG keeps them in hex.
        const [a, b, c, d] = ours.split('.').map(Number) as [number, number, number, number];
        assert.equal(whatwg, `::ffff:${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`);
      } else {
        assert.equal(ours, whatwg);
      }
    }),
    { numRuns: 1000 },
  );
});

type ReaderOp = 'u8' | 'bool' | 'u16' | 'i16' | 'uint30' | 'fixed' | 'fixedCopy' | 'lengthPrefixed' | 'sub' | 'end';
const readerOpArb = fc.tuple(
  fc.constantFrom<ReaderOp>('u8', 'bool', 'u16', 'i16', 'uint30', 'fixed', 'fixedCopy', 'lengthPrefixed', 'sub', 'end'),
  fc.integer({ min: 0, max: 40 }),
);

test('binary reader: any sequence of reads over random bytes only throws DecodingError', () => {
  fc.assert(
    fc.property(bytes(48), fc.array(readerOpArb, { maxLength: 12 }), (b, ops) => {
      let reader = new BinaryReader(b);
      for (const [op, n] of ops) {
        const before = reader.remaining;
        try {
          switch (op) {
            case 'u8': reader.u8(); break;
            case 'bool': reader.bool(); break;
            case 'u16': reader.u16(); break;
            case 'i16': assert.ok(Math.abs(reader.i16()) <= 0x8000); break;
            case 'uint30': assert.ok(reader.uint30() <= 0x7fff_ffff); break;
            case 'fixed': assert.equal(reader.fixed(n).length, n); break;
            case 'fixedCopy': assert.equal(reader.fixedCopy(n).length, n); break;
            case 'lengthPrefixed': reader.lengthPrefixed(); break;
            case 'sub': reader = reader.lengthPrefixedReader(); break;
            case 'end': reader.expectEnd(); break;
          }
        } catch (err) {
          assert.ok(err instanceof DecodingError, `expected a DecodingError, got ${String(err)}`);
          assert.equal(err.code, 'DECODING_ERROR');
          // A failed read must not move the cursor past the end.
          assert.ok(reader.remaining >= 0 && reader.remaining <= before);
        }
      }
    }),
    RUNS,
  );
});

test('binary reader: integers decode big-endian with the right signs', () => {
  fc.assert(
    fc.property(fixedBytes(4), (b) => {
      assert.equal(new BinaryReader(b).u16(), b.readUInt16BE(0));
      assert.equal(new BinaryReader(b).i16(), b.readInt16BE(0));
      assert.equal(new BinaryReader(b).u8(), b[0]);
      if (b[0]! & 0x80) failsWith(() => new BinaryReader(b).uint30(), 'INVALID_INT');
      else assert.equal(new BinaryReader(b).uint30(), b.readUInt32BE(0));
    }),
    RUNS,
  );
});

test('binary reader: fixed returns a view, fixedCopy a copy', () => {
  const input = Buffer.from([1, 2, 3, 4]);
  const view = new BinaryReader(input).fixed(2);
  const copy = new BinaryReader(input).fixedCopy(2);
  input[0] = 9;
  assert.equal(view[0], 9);
  assert.equal(copy[0], 1);
});
