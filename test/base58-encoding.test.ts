/**
 * Base58Check text (protocol.md §3) from the limb encoder (five base-58 digits per limb) equals the arbitrary-precision
 * definition (the value of the bytes written in base 58, one '1' per leading zero byte), and
 * decodes back, one call after another through the encoder's reused scratch arrays. The encoder was rewritten to build one flat string (bench/idle-memory.ts: a peer
 * id was a chain of 18 cons strings, 577 B per connection).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { base58CheckDecode, base58CheckEncode } from '../src/shared/crypto/base58.ts';
import { sha256 } from '../src/shared/crypto/hash.ts';

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
    // Up to 85 bytes: inputs that fit the encoder's scratch arrays (64 bytes with the checksum) and longer ones.
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

test('base58CheckEncode matches the definition for every data length 0..200, around the 64-byte scratch, with leading zeros', () => {
  // 60 bytes of data is the last that goes through the scratch arrays (60 + 4 checksum = 64); 61 is
  // the first through the fallback. Leading zeros cover the '1' run, 0xff the most digits per length.
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
  // Nothing handed out shares the scratch: every earlier result is still what it was.
  for (const [text, expected] of outputs) assert.equal(text, expected);
});
