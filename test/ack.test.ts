import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DecodingError, EncodingError } from '../src/shared/errors.ts';
import type { DecodingReason } from '../src/shared/errors.ts';
import { NACK_MAX_POINTS, decodeAck, encodeAck, peerSupportsNackWithList } from '../src/shared/wire/ack.ts';
import type { AckMessage } from '../src/shared/wire/ack.ts';
import type { Point } from '../src/shared/wire/point.ts';
import { MOTIVE, motiveName, parseMotive } from '../src/shared/wire/rejection.ts';

const vectors = JSON.parse(readFileSync(new URL('./vectors/handshake.json', import.meta.url), 'utf8')) as {
  session: { chunks: { what: string; plaintext: string }[] };
  rejection_motives: { code: number; name: string }[];
};

function throwsDecoding(fn: () => unknown, reason: DecodingReason): void {
  assert.throws(fn, (err: unknown) => err instanceof DecodingError && err.reason === reason);
}

const hex = (h: string): Buffer => Buffer.from(h, 'hex');

/** `01 ‖ motive ‖ u32 listLength ‖ elements`, with each element `u32 len ‖ text`. */
function nackBytes(motive: number, texts: string[], listLength?: number): Buffer {
  const elements = Buffer.concat(
    texts.map((t) => {
      const e = Buffer.alloc(4 + Buffer.byteLength(t, 'latin1'));
      e.writeUInt32BE(e.length - 4, 0);
      e.write(t, 4, 'latin1');
      return e;
    }),
  );
  const head = Buffer.alloc(7);
  head[0] = 1;
  head.writeInt16BE(motive, 1);
  head.writeUInt32BE(listLength ?? elements.length, 3);
  return Buffer.concat([head, elements]);
}

const manyPoints = (n: number): Point[] => Array.from({ length: n }, (_, i) => ({ host: `10.0.${i >> 8}.${i & 0xff}`, port: 9732 }));

test('the protocol.md §8.4 Nack plaintext from the vectors decodes and re-encodes exactly', () => {
  const chunk = vectors.session.chunks.find((c) => c.what.startsWith('B->A Nack #1'));
  assert.ok(chunk, 'vector chunk "B->A Nack #1" is present');
  const expected: AckMessage = {
    kind: 'nack',
    motive: MOTIVE.TOO_MANY_CONNECTIONS,
    points: [
      { host: '127.0.0.1', port: 9732 },
      { host: '::1', port: 9732 },
    ],
  };
  assert.equal(chunk.plaintext.length / 2, 39);
  assert.deepEqual(decodeAck(hex(chunk.plaintext)), expected);
  assert.equal(encodeAck(expected).toString('hex'), chunk.plaintext);
  assert.equal(
    encodeAck(expected).toString('hex'),
    '01' + '0001' + '00000020' + '0000000e3132372e302e302e313a39373332' + '0000000a5b3a3a315d3a39373332',
  );
});

test('Ack is 00 and Nack_v_0 is ff, both ways', () => {
  assert.equal(encodeAck({ kind: 'ack' }).toString('hex'), '00');
  assert.equal(encodeAck({ kind: 'nack_v0' }).toString('hex'), 'ff');
  assert.deepEqual(decodeAck(hex('00')), { kind: 'ack' });
  assert.deepEqual(decodeAck(hex('ff')), { kind: 'nack_v0' });
  for (const c of vectors.session.chunks.filter((c) => / Ack #1/.test(c.what))) assert.deepEqual(decodeAck(hex(c.plaintext)), { kind: 'ack' });
  const v0 = vectors.session.chunks.find((c) => c.what.startsWith('B->A Nack_v_0 #1'));
  assert.ok(v0);
  assert.deepEqual(decodeAck(hex(v0.plaintext)), { kind: 'nack_v0' });
});

test('unknown tags are UNEXPECTED_TAG; empty and trailing bytes are NOT_ENOUGH_DATA / EXTRA_BYTES', () => {
  for (const tag of [0x02, 0x03, 0x7f, 0x80, 0xfe]) throwsDecoding(() => decodeAck(Buffer.from([tag])), 'UNEXPECTED_TAG');
  throwsDecoding(() => decodeAck(Buffer.alloc(0)), 'NOT_ENOUGH_DATA');
  throwsDecoding(() => decodeAck(hex('0000')), 'EXTRA_BYTES');
  throwsDecoding(() => decodeAck(hex('ff00')), 'EXTRA_BYTES');
  throwsDecoding(() => decodeAck(Buffer.concat([nackBytes(0, []), Buffer.from([0])])), 'EXTRA_BYTES');
});

test('a Nack with an empty list is 01 motive 00000000', () => {
  const bytes = encodeAck({ kind: 'nack', motive: 0, points: [] });
  assert.equal(bytes.toString('hex'), '01000000000000');
  assert.deepEqual(decodeAck(bytes), { kind: 'nack', motive: 0, points: [] });
});

test('100 points encode and decode; 101 is EncodingError / LIST_TOO_LONG', () => {
  const hundred = manyPoints(NACK_MAX_POINTS);
  const bytes = encodeAck({ kind: 'nack', motive: 1, points: hundred });
  assert.deepEqual(decodeAck(bytes), { kind: 'nack', motive: 1, points: hundred });
  assert.throws(() => encodeAck({ kind: 'nack', motive: 1, points: manyPoints(101) }), EncodingError);
  const texts = manyPoints(101).map((p) => `${p.host}:${p.port}`);
  throwsDecoding(() => decodeAck(nackBytes(1, texts)), 'LIST_TOO_LONG');
  // Data_encoding fails as soon as bytes remain after the 100th element, before reading them.
  const hundredAndGarbage = nackBytes(1, texts.slice(0, 100));
  const withByte = Buffer.concat([hundredAndGarbage, Buffer.from([0xee])]);
  withByte.writeUInt32BE(hundredAndGarbage.length - 7 + 1, 3);
  throwsDecoding(() => decodeAck(withByte), 'LIST_TOO_LONG');
});

test('a 47-character point text fits (51-byte element), 48 is SIZE_LIMIT_EXCEEDED', () => {
  const text47 = '[0000:0000:0000:0000:0000:0000:0000:0001]:09732';
  const text48 = '[0000:0000:0000:0000:0000:0000:0000:0001]:009732';
  assert.equal(text47.length, 47);
  assert.equal(text48.length, 48);
  assert.deepEqual(decodeAck(nackBytes(2, [text47])), { kind: 'nack', motive: 2, points: [{ host: '::1', port: 9732 }] });
  throwsDecoding(() => decodeAck(nackBytes(2, [text48])), 'SIZE_LIMIT_EXCEEDED');
  // The longest point the writer can produce is exactly 47 characters.
  const widest = { host: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', port: 65535 };
  const bytes = encodeAck({ kind: 'nack', motive: 0, points: [widest] });
  assert.equal(bytes.readUInt32BE(3), 51);
  assert.equal(bytes.readUInt32BE(7), 47);
  assert.deepEqual(decodeAck(bytes), { kind: 'nack', motive: 0, points: [widest] });
});

test('an element length past the list is NOT_ENOUGH_DATA even when it is also over 47', () => {
  const bytes = nackBytes(0, ['1.2.3.4:1']);
  bytes.writeUInt32BE(1000, 7);
  throwsDecoding(() => decodeAck(bytes), 'NOT_ENOUGH_DATA');
  bytes.writeUInt32BE(0x8000_0000, 7);
  throwsDecoding(() => decodeAck(bytes), 'INVALID_INT');
});

test('the list byte length must match its elements exactly', () => {
  const texts = ['127.0.0.1:9732', '[::1]:9732'];
  const exact = nackBytes(1, texts);
  const listLength = exact.length - 7;
  // Longer than the bytes that follow.
  throwsDecoding(() => decodeAck(nackBytes(1, texts, listLength + 1)), 'NOT_ENOUGH_DATA');
  // Shorter, ending inside the second element.
  throwsDecoding(() => decodeAck(nackBytes(1, texts, listLength - 1)), 'NOT_ENOUGH_DATA');
  throwsDecoding(() => decodeAck(nackBytes(1, texts, 18 + 2)), 'NOT_ENOUGH_DATA');
  // Shorter, ending right after the first element: the second one trails.
  throwsDecoding(() => decodeAck(nackBytes(1, texts, 18)), 'EXTRA_BYTES');
  throwsDecoding(() => decodeAck(nackBytes(1, texts, 0)), 'EXTRA_BYTES');
  assert.equal(decodeAck(exact).kind, 'nack');
});

test('an element that is not a point fails the whole Nack with USER_FUNCTION', () => {
  for (const text of ['localhost:9732', '127.0.0.1', '::1:9732', '[::1]:65536', '1.2.3.4:1#idNOTAVALIDPEERID', '']) {
    throwsDecoding(() => decodeAck(nackBytes(1, ['127.0.0.1:9732', text])), 'USER_FUNCTION');
  }
});

test('unknown motive codes round-trip, negative ones included', () => {
  for (const motive of [6, 42, 32767, -1, -32768]) {
    const bytes = encodeAck({ kind: 'nack', motive, points: [] });
    assert.equal(bytes.readInt16BE(1), motive);
    assert.deepEqual(decodeAck(bytes), { kind: 'nack', motive, points: [] });
  }
  assert.deepEqual(decodeAck(hex('01ffff00000000')), { kind: 'nack', motive: -1, points: [] });
  assert.deepEqual(decodeAck(hex('01800000000000')), { kind: 'nack', motive: -32768, points: [] });
  for (const motive of [32768, -32769, 1.5, Number.NaN]) {
    assert.throws(() => encodeAck({ kind: 'nack', motive, points: [] }), EncodingError);
  }
});

test('a point that cannot be written is EncodingError', () => {
  for (const p of [{ host: 'localhost', port: 1 }, { host: '::1', port: 70000 }, { host: 'fe80::1%eth0', port: 1 }, { host: '[::1]', port: 1 }]) {
    assert.throws(() => encodeAck({ kind: 'nack', motive: 0, points: [p] }), EncodingError);
  }
});

test('Nack with a list only when the peer announced p2p_version > 0 (protocol.md §8.5)', () => {
  assert.equal(peerSupportsNackWithList(0), false);
  assert.equal(peerSupportsNackWithList(1), true);
  assert.equal(peerSupportsNackWithList(7), true);
});

test('rejection motives: codes, names and the vectors (protocol.md §8.2)', () => {
  for (const { code, name } of vectors.rejection_motives) {
    assert.equal(motiveName(code), name);
    assert.equal(parseMotive(name), code);
  }
  assert.equal(MOTIVE.TOO_MANY_CONNECTIONS, 1);
  assert.equal(MOTIVE.ALREADY_CONNECTED, 5);
  assert.equal(motiveName(6), 'Unknown_motive(6)');
  assert.equal(motiveName(-3), 'Unknown_motive(-3)');
});

test('parseMotive accepts UPPER_SNAKE, OCaml names and int16 decimals, else RangeError', () => {
  assert.equal(parseMotive('TOO_MANY_CONNECTIONS'), 1);
  assert.equal(parseMotive('Deprecated_distributed_db_version'), 4);
  assert.equal(parseMotive('NO_MOTIVE'), 0);
  assert.equal(parseMotive('5'), 5);
  assert.equal(parseMotive('-7'), -7);
  assert.equal(parseMotive('32767'), 32767);
  assert.equal(parseMotive('-32768'), -32768);
  assert.equal(parseMotive('Unknown_motive(-7)'), -7);
  assert.equal(parseMotive(motiveName(1234)), 1234);
  for (const bad of ['32768', '-32769', 'too_many', 'Too_Many_Connections', '1.5', '0x10', '', 'Unknown_motive(x)']) {
    assert.throws(() => parseMotive(bad), RangeError, bad);
  }
});
