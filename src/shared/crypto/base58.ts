/**
 * Base58Check with the Bitcoin alphabet, as used for Tezos-family identifiers (protocol.md §3).
 */
import { DecodingError } from '../errors.ts';
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
 * handshake (bench/idle-memory.ts).
 */
function base58Encode(bytes: Uint8Array): string {
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  const limbs: number[] = []; // base 58^5, least significant first
  for (let i = zeros; i < bytes.length; i++) {
    let carry = bytes[i]!;
    for (let j = 0; j < limbs.length; j++) {
      carry += limbs[j]! * 256;
      const high = Math.floor(carry / LIMB);
      limbs[j] = carry - high * LIMB;
      carry = high;
    }
    while (carry > 0) {
      const high = Math.floor(carry / LIMB);
      limbs.push(carry - high * LIMB);
      carry = high;
    }
  }
  const digits: number[] = []; // base 58, least significant first
  for (const limb of limbs) {
    let rest = limb;
    for (let k = 0; k < LIMB_DIGITS; k++) {
      const high = Math.floor(rest / 58);
      digits.push(rest - high * 58);
      rest = high;
    }
  }
  let length = digits.length;
  while (length > 0 && digits[length - 1] === 0) length--; // the top limb's leading zeros
  const codes = new Array<number>(zeros + length).fill(ONE);
  for (let j = 0; j < length; j++) codes[zeros + j] = ALPHABET_CODES[digits[length - 1 - j]!]!;
  return String.fromCharCode(...codes);
}

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
  const data = Buffer.concat([prefix, payload]);
  return base58Encode(Buffer.concat([data, checksum(data)]));
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
