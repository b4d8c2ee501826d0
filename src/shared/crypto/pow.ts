/**
 * Proof of work on the X25519 public key (protocol.md §2).
 *
 * A stamp passes when `BLAKE2b-256(publicKey || stamp)`, read as an unsigned **little-endian**
 * 256-bit integer, is at most the target (protocol.md §2.1, pitfall §13.5.5). Targets are kept as
 * 32-byte big-endian buffers, so the comparison walks the digest backwards and the target
 * forwards.
 */
import { randomBytes } from 'node:crypto';
import sodium from 'sodium-native';
import { incrementNonce } from './nonce.ts';

export const PUBLIC_KEY_LENGTH = 32;
export const POW_STAMP_LENGTH = 24;
const POW_TARGET_LENGTH = 32;

const DIGEST_LENGTH = 32;
const INPUT_LENGTH = PUBLIC_KEY_LENGTH + POW_STAMP_LENGTH;

/** 2^54 − 1: the mantissa used for integer difficulties (protocol.md §2.2). */
const MANTISSA_INTEGER = (1n << 54n) - 1n;
/** Bit position the 54-bit mantissa is shifted to (256 − 54). */
const MANTISSA_SHIFT = 202;
const MAX_TARGET = (1n << 256n) - 1n;

/**
 * `make_pow_target f` (protocol.md §2.2), as a 32-byte big-endian integer.
 *
 * For integer f this is 2^(256−f) − 1. A fractional f uses the IEEE double `2 ** (54 − frac)`,
 * truncated, as the OCaml code does; JS `**` and the C `pow` OCaml calls agree on the vector
 * (26.5), but two libms may differ by one ulp on some other fraction.
 */
export function makePowTarget(difficulty: number): Buffer {
  // OCaml raises invalid_arg outside [0, 256]; NaN is refused too (it would be meaningless).
  if (typeof difficulty !== 'number' || !(difficulty >= 0 && difficulty <= 256)) {
    throw new RangeError(`proof-of-work difficulty must be a number in [0, 256], got ${String(difficulty)}`);
  }
  const whole = Math.trunc(difficulty);
  const frac = difficulty - whole; // exact: modf on a double
  const mantissa = frac === 0 ? MANTISSA_INTEGER : BigInt(Math.trunc(2 ** (54 - frac)));
  let target: bigint;
  if (whole < MANTISSA_SHIFT) {
    const shift = BigInt(MANTISSA_SHIFT - whole);
    target = (mantissa << shift) | ((1n << shift) - 1n);
  } else {
    target = mantissa >> BigInt(whole - MANTISSA_SHIFT);
  }
  const out = Buffer.alloc(POW_TARGET_LENGTH);
  // A tiny positive f (below about 8e-17) rounds 2 ** (54 - f) up to 2^54, one bit more than the
  // mantissa holds, and the target exceeds 2^256 − 1. OCaml keeps it as an unbounded Z, which
  // every digest passes; the all-ones target means exactly that.
  if (target > MAX_TARGET) return out.fill(0xff);
  for (let i = POW_TARGET_LENGTH - 1; i >= 0 && target > 0n; i--) {
    out[i] = Number(target & 0xffn);
    target >>= 8n;
  }
  return out;
}

/**
 * `digest` (little-endian) ≤ `target` (big-endian). Most significant bytes first, so a random
 * digest is usually decided by its last byte.
 */
function digestMeetsTarget(digest: Buffer, target: Buffer): boolean {
  for (let i = 0; i < DIGEST_LENGTH; i++) {
    const d = digest[DIGEST_LENGTH - 1 - i]!;
    const t = target[i]!;
    if (d !== t) return d < t;
  }
  return true; // equal passes: the check is `value ≤ target`
}

function checkLengths(publicKey: Uint8Array, target: Uint8Array): void {
  if (publicKey.length !== PUBLIC_KEY_LENGTH) {
    throw new RangeError(`public key must be ${PUBLIC_KEY_LENGTH} bytes, got ${publicKey.length}`);
  }
  if (target.length !== POW_TARGET_LENGTH) {
    throw new RangeError(`proof-of-work target must be ${POW_TARGET_LENGTH} bytes, got ${target.length}`);
  }
}

function checkStampLength(stamp: Uint8Array, what: string): void {
  if (stamp.length !== POW_STAMP_LENGTH) {
    throw new RangeError(`${what} must be ${POW_STAMP_LENGTH} bytes, got ${stamp.length}`);
  }
}

// Scratch buffers for checkProofOfWork. JS is single-threaded per isolate and the function is
// synchronous, so sharing them is safe; each worker thread gets its own module instance.
const scratchInput = Buffer.alloc(INPUT_LENGTH);
const scratchDigest = Buffer.alloc(DIGEST_LENGTH);

/** protocol.md §2.1: does `stamp` meet `target` (from makePowTarget) for `publicKey`? Allocation-free. */
export function checkProofOfWork(publicKey: Buffer, stamp: Buffer, target: Buffer): boolean {
  checkLengths(publicKey, target);
  checkStampLength(stamp, 'proof-of-work stamp');
  publicKey.copy(scratchInput, 0);
  stamp.copy(scratchInput, PUBLIC_KEY_LENGTH);
  sodium.crypto_generichash(scratchDigest, scratchInput);
  return digestMeetsTarget(scratchDigest, target);
}

/**
 * The greatest whole difficulty `stamp` meets for `publicKey` (targets shrink as the difficulty
 * grows, protocol.md §2.2): what a peer offered, for messages and `identity show`.
 */
export function stampDifficulty(publicKey: Buffer, stamp: Buffer): number {
  let met = 0;
  while (met < 256 && checkProofOfWork(publicKey, stamp, makePowTarget(met + 1))) met++;
  return met;
}

/** The 32-byte BLAKE2b-256 digest the check reads (protocol.md §2.1); for tests and diagnostics. */
export function proofOfWorkHash(publicKey: Buffer, stamp: Buffer): Buffer {
  const out = Buffer.alloc(DIGEST_LENGTH);
  sodium.crypto_generichash(out, Buffer.concat([publicKey, stamp]));
  return out;
}

export interface SearchProofOfWorkOptions {
  /** First stamp to try (24 bytes, not modified). Default: random, as OCaml does (protocol.md §2.4). */
  readonly start?: Buffer;
  /** Give up after this many hashes (OCaml's `?max`). */
  readonly maxAttempts: number;
}

export interface SearchProofOfWorkResult {
  /** The passing stamp, or undefined when `maxAttempts` ran out. */
  readonly stamp: Buffer | undefined;
  /** Hashes computed, including the passing one. */
  readonly attempts: number;
}

/**
 * Bounded synchronous search (protocol.md §2.4, `generate_proof_of_work ?max`): test the stamp, and on
 * failure add 1 to it as a 192-bit big-endian integer. Callers keep rounds short (they block the
 * thread) and run them on worker threads for real difficulties.
 *
 * The loop allocates nothing: one 56-byte input whose stamp part is incremented in place and
 * one 32-byte digest buffer.
 */
export function searchProofOfWork(
  publicKey: Buffer,
  target: Buffer,
  options: SearchProofOfWorkOptions,
): SearchProofOfWorkResult {
  checkLengths(publicKey, target);
  const { maxAttempts } = options;
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 0) {
    throw new RangeError(`maxAttempts must be a non-negative safe integer, got ${String(maxAttempts)}`);
  }
  const start = options.start ?? randomBytes(POW_STAMP_LENGTH);
  checkStampLength(start, 'start stamp');

  const input = Buffer.alloc(INPUT_LENGTH);
  const digest = Buffer.alloc(DIGEST_LENGTH);
  publicKey.copy(input, 0);
  start.copy(input, PUBLIC_KEY_LENGTH);
  const stamp = input.subarray(PUBLIC_KEY_LENGTH);

  for (let attempts = 1; attempts <= maxAttempts; attempts++) {
    sodium.crypto_generichash(digest, input);
    if (digestMeetsTarget(digest, target)) {
      // A fresh, unpooled copy: the caller may keep it or transfer it across threads.
      const found = Buffer.alloc(POW_STAMP_LENGTH);
      stamp.copy(found);
      return { stamp: found, attempts };
    }
    incrementNonce(stamp);
  }
  return { stamp: undefined, attempts: maxAttempts };
}
