/**
 * Base58Check with the Bitcoin alphabet, as used for Tezos-family identifiers (protocol.md §3).
 */
import { DecodingError } from '../errors.ts';
import sodium from 'sodium-native';
import { sha256 } from './hash.ts';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const INDEX = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]));
const ALPHABET_CODES = [...ALPHABET].map((c) => c.charCodeAt(0));
const ONE = ALPHABET.charCodeAt(0);

/** Five base-58 digits per limb: a limb times 256 plus a carry stays far below 2^53. */
const LIMB = 58 ** 5;
const LIMB_DIGITS = 5;

/**
 * Schoolbook base conversion on limbs of five base-58 digits, a fifth of the multiply-and-divide
 * steps of digit by digit (a peer id with its checksum: 7.4 → 1.7 µs; base58Encode's self time in
 * a W3 server, bench/handshake-cpu.ts --profile: 1.4 → 0.8 %), written as one flat string at the
 * end. Prepending characters to a string built a chain of 18 cons strings per peer id: 577 B kept
 * by every connection's `peerId` instead of 56, and 4 KB of BigInt and string garbage per
 * handshake (bench/idle-memory.ts). The limbs, digits and characters go through scratch arrays
 * of this thread (the function is synchronous and the bytes are public): growing three arrays and
 * spreading one into `String.fromCharCode` was 1.1 KB of garbage per handshake, with the input's
 * and checksum's concatenations another 1.2 KB (bench/handshake-young-gen.ts --sample).
 */
function base58Encode(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  // Each input byte adds log(256) / log(58^5) ≈ 0.273 limbs; one more for rounding.
  const maxLimbs = Math.ceil((bytes.length - zeros) * 0.28) + 1;
  const limbs = maxLimbs <= scratchLimbs.length ? scratchLimbs : new Float64Array(maxLimbs); // base 58^5, least significant first
  let used = 0;
  for (let i = zeros; i < bytes.length; i++) {
    let carry = bytes[i]!;
    for (let j = 0; j < used; j++) {
      carry += limbs[j]! * 256;
      const high = Math.floor(carry / LIMB);
      limbs[j] = carry - high * LIMB;
      carry = high;
    }
    while (carry > 0) {
      const high = Math.floor(carry / LIMB);
      limbs[used++] = carry - high * LIMB;
      carry = high;
    }
  }
  const digitCount = used * LIMB_DIGITS;
  const digits = digitCount <= scratchDigits.length ? scratchDigits : new Uint8Array(digitCount); // base 58, least significant first
  for (let j = 0; j < used; j++) {
    let rest = limbs[j]!;
    for (let k = 0; k < LIMB_DIGITS; k++) {
      const high = Math.floor(rest / 58);
      digits[j * LIMB_DIGITS + k] = rest - high * 58;
      rest = high;
    }
  }
  let length = digitCount;
  while (length > 0 && digits[length - 1] === 0) length--; // the top limb's leading zeros
  const total = zeros + length;
  const codes = total <= scratchCodes.length ? scratchCodes : Buffer.allocUnsafe(total);
  codes.fill(ONE, 0, zeros);
  for (let j = 0; j < length; j++) codes[zeros + j] = ALPHABET_CODES[digits[length - 1 - j]!]!;
  return codes.toString('latin1', 0, total);
}

/** Scratch for base58Encode and base58CheckEncode: large enough for every id of the protocol (peer ids: 22 bytes). */
const SCRATCH_INPUT = 64;
const scratchLimbs = new Float64Array(Math.ceil(SCRATCH_INPUT * 0.28) + 1);
const scratchDigits = new Uint8Array(scratchLimbs.length * LIMB_DIGITS);
const scratchCodes = Buffer.allocUnsafeSlow(scratchDigits.length);
const scratchData = Buffer.allocUnsafeSlow(SCRATCH_INPUT);
const scratchDigest = Buffer.allocUnsafeSlow(32);
const scratchChecksum = Buffer.allocUnsafeSlow(32);

function base58Decode(text: string): Buffer {
  let zeros = 0;
  while (zeros < text.length && text[zeros] === '1') zeros++;
  let n = 0n;
  for (const c of text) {
    const v = INDEX.get(c);
    if (v === undefined) throw new DecodingError('USER_FUNCTION', `invalid base58 character ${JSON.stringify(c)}`);
    n = n * 58n + BigInt(v);
  }
  const body: number[] = [];
  while (n > 0n) {
    body.unshift(Number(n & 0xffn));
    n >>= 8n;
  }
  return Buffer.from([...new Array<number>(zeros).fill(0), ...body]);
}

function checksum(data: Buffer): Buffer {
  return sha256(sha256(data)).subarray(0, 4);
}

/** `base58(prefix || payload || first4(sha256²(prefix || payload)))`. */
export function base58CheckEncode(prefix: Uint8Array, payload: Uint8Array): string {
  const length = prefix.length + payload.length;
  if (length + 4 > SCRATCH_INPUT) {
    const data = Buffer.concat([prefix, payload]);
    return base58Encode(Buffer.concat([data, checksum(data)]));
  }
  scratchData.set(prefix, 0);
  scratchData.set(payload, prefix.length);
  sodium.crypto_hash_sha256(scratchDigest, scratchData.subarray(0, length));
  sodium.crypto_hash_sha256(scratchChecksum, scratchDigest);
  scratchChecksum.copy(scratchData, length, 0, 4);
  return base58Encode(scratchData.subarray(0, length + 4));
}

/** Decodes and checks the checksum and prefix; returns the payload. Throws DecodingError. */
export function base58CheckDecode(prefix: Uint8Array, text: string, payloadLength: number): Buffer {
  const raw = base58Decode(text);
  if (raw.length !== prefix.length + payloadLength + 4) {
    throw new DecodingError('USER_FUNCTION', `base58check: wrong length ${raw.length}`);
  }
  const data = raw.subarray(0, raw.length - 4);
  if (!checksum(data).equals(raw.subarray(raw.length - 4))) {
    throw new DecodingError('USER_FUNCTION', 'base58check: bad checksum');
  }
  if (!Buffer.from(prefix).equals(data.subarray(0, prefix.length))) {
    throw new DecodingError('USER_FUNCTION', 'base58check: wrong prefix');
  }
  return Buffer.from(data.subarray(prefix.length));
}
