/**
 * Base58Check text (protocol.md §3) equals the arbitrary-precision definition (the value of
 * `prefix ‖ payload ‖ first4(sha256²)` written in base 58, one '1' per leading zero byte) and
 * decodes back; a wrong checksum, prefix, length or character is a DecodingError.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { base58CheckDecode, base58CheckEncode } from '../src/shared/crypto/base58check.ts';
import { sha256 } from '../src/shared/crypto/hash.ts';
import { DecodingError } from '../src/shared/errors.ts';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** The definition, by BigInt division. */
function referenceBase58(bytes: Uint8Array): string {
  let value = 0n;
  for (const byte of bytes) value = value * 256n + BigInt(byte);
  const digits: string[] = [];
  for (; value > 0n; value /= 58n) digits.push(ALPHABET[Number(value % 58n)]!);
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  return '1'.repeat(zeros) + digits.reverse().join('');
}

test('base58CheckEncode matches the arbitrary-precision definition and round-trips', () => {
  const bytes = (max: number) => fc.oneof(fc.uint8Array({ maxLength: max }), fc.uint8Array({ maxLength: max }).map((b) => new Uint8Array([0, 0, ...b])));
  fc.assert(
    fc.property(bytes(3), bytes(80), (prefix, payload) => {
      const data = Buffer.concat([prefix, payload]);
      const expected = referenceBase58(Buffer.concat([data, sha256(sha256(data)).subarray(0, 4)]));
      const text = base58CheckEncode(prefix, payload);
      assert.equal(text, expected);
      assert.deepEqual(base58CheckDecode(prefix, text, payload.length), Buffer.from(payload));
    }),
    { numRuns: 2000 },
  );
});

test('base58CheckEncode matches the definition for every data length 0..200, with leading zeros', () => {
  // Leading zeros cover the '1' run, 0xff the most digits per length.
  const fills: Array<(i: number, length: number) => number> = [
    () => 0,
    () => 0xff,
    (i) => (i * 37 + 11) & 0xff,
    (i, length) => (i < length >> 1 ? 0 : 0xff),
    (i, length) => (i === length - 1 ? 1 : 0),
  ];
  const outputs: Array<[string, string]> = [];
  for (let length = 0; length <= 200; length++) {
    for (const fill of fills) {
      const data = Uint8Array.from({ length }, (_, i) => fill(i, length));
      for (const split of new Set([0, Math.min(3, length), length])) {
        const prefix = data.subarray(0, split);
        const payload = data.subarray(split);
        const expected = referenceBase58(Buffer.concat([data, sha256(sha256(Buffer.from(data))).subarray(0, 4)]));
        const text = base58CheckEncode(prefix, payload);
        assert.equal(text, expected, `length ${length}, split ${split}`);
        outputs.push([text, expected]);
      }
    }
  }
  for (const [text, expected] of outputs) assert.equal(text, expected);
});

test('base58CheckDecode refuses a bad checksum, a wrong prefix, a wrong length and a character outside the alphabet', () => {
  const prefix = Buffer.from([0x99, 0x67]);
  const text = base58CheckEncode(prefix, new Uint8Array(16).fill(7));
  const last = text.at(-1) === '2' ? '3' : '2';
  const cases: Array<[string, Uint8Array, number]> = [
    [text.slice(0, -1) + last, prefix, 16], // checksum
    [text, Buffer.from([0x99, 0x68]), 16], // prefix
    [text, prefix, 15], // length
    [text.slice(0, -1) + '0', prefix, 16], // '0' is not in the alphabet
  ];
  for (const [input, p, length] of cases) {
    assert.throws(() => base58CheckDecode(p, input, length), (error: unknown) => error instanceof DecodingError && error.reason === 'USER_FUNCTION', input);
  }
});
