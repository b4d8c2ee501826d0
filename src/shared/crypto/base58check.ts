/**
 * Base58Check as Tezos-family nodes write identifiers (protocol.md §3): the Bitcoin alphabet over
 * `prefix ‖ payload ‖ first4(sha256(sha256(prefix ‖ payload)))`; decoded with @scure/base's coder.
 */
import { createBase58check } from '@scure/base';
import { DecodingError } from '../errors.ts';
import { sha256, sha256Into } from './hash.ts';

const coder = createBase58check((data: Uint8Array) => sha256(Buffer.from(data.buffer, data.byteOffset, data.byteLength)));

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

/** 58^5, below 2^30: `base58` works in limbs of five base-58 digits, five times fewer steps than digit by digit. */
const LIMB = 58 ** 5;
/** Limbs of the value being encoded, least significant first (`base58`'s scratch). */
let limbs = new Float64Array(16);
/** The text being written (`base58`'s scratch). */
let chars = Buffer.allocUnsafeSlow(128);
const ALPHABET_CODES = Buffer.from(ALPHABET, 'latin1');
const ONE = ALPHABET_CODES[0]!;
/** The two SHA-256 rounds of a checksum. */
const digest = Buffer.allocUnsafeSlow(32);

/**
 * `base58(prefix ‖ payload ‖ checksum)`. Encoded here rather than by @scure/base's general radix
 * conversion (kept for decoding): every handshake formats the peer's id, and the general coder,
 * its arrays and its checksum copies took several percent of a W3 client's CPU
 * (bench/handshake-cpu.ts); the result is the same text (test: base58check).
 */
export function base58CheckEncode(prefix: Uint8Array, payload: Uint8Array): string {
  const length = prefix.length + payload.length;
  const data = Buffer.allocUnsafe(length + 4);
  data.set(prefix, 0);
  data.set(payload, prefix.length);
  sha256Into(digest, data.subarray(0, length));
  sha256Into(digest, digest);
  digest.copy(data, length, 0, 4);
  digest.fill(0);
  return base58(data);
}

/** The Base58 text of `bytes`: one '1' per leading zero byte, then the rest's value in base 58. */
function base58(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  // 256 = 58^1.366: at most 1.37 digits per byte, a fifth of that in limbs.
  const room = Math.ceil(((bytes.length - zeros) * 1366) / 5000) + 1;
  if (limbs.length < room) limbs = new Float64Array(room);
  limbs.fill(0, 0, room);
  let used = 0;
  for (let i = zeros; i < bytes.length; i++) {
    // limbs = limbs × 256 + byte; every value stays below 2^38, exact in a double.
    let carry = bytes[i]!;
    let j = 0;
    for (; j < used || carry !== 0; j++) {
      carry += limbs[j]! * 256;
      const high = Math.floor(carry / LIMB);
      limbs[j] = carry - high * LIMB;
      carry = high;
    }
    used = j;
  }
  // The digits as alphabet bytes, most significant last-written: one latin1 string at the end.
  const length = zeros + used * 5;
  if (chars.length < length) chars = Buffer.allocUnsafeSlow(length);
  let at = length;
  for (let j = 0; j < used; j++) {
    let limb = limbs[j]!;
    for (let k = 0; k < 5; k++) {
      chars[--at] = ALPHABET_CODES[limb % 58]!;
      limb = Math.floor(limb / 58);
    }
  }
  // The top limb's leading zero digits go; the leading zero bytes are written as '1's instead.
  let start = zeros;
  while (start < length && chars[start] === ONE) start++;
  start -= zeros;
  chars.fill(ONE, start, start + zeros);
  return chars.toString('latin1', start, length);
}

/**
 * Decodes and checks the alphabet, checksum, prefix and payload length; returns the payload.
 * Throws DecodingError (USER_FUNCTION, as a failed `of_b58check` inside a conv does).
 */
export function base58CheckDecode(prefix: Uint8Array, text: string, payloadLength: number): Buffer {
  let data: Uint8Array;
  try {
    data = coder.decode(text);
  } catch (error) {
    throw new DecodingError('USER_FUNCTION', `base58check: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (data.length !== prefix.length + payloadLength) {
    throw new DecodingError('USER_FUNCTION', `base58check: wrong length ${data.length + 4}`);
  }
  for (let i = 0; i < prefix.length; i++) {
    if (data[i] !== prefix[i]) throw new DecodingError('USER_FUNCTION', 'base58check: wrong prefix');
  }
  return Buffer.from(data.subarray(prefix.length));
}
