/**
 * Small helpers shared by the benchmark scripts: units, spreads, labels.
 *
 * Throughput everywhere in bench/ is MB/s of message payload with MB = 10^6 bytes (not MiB, not
 * megabits), so numbers from different scripts compare directly.
 */

/** Bytes per MB in every MB/s figure. */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import sodium from 'sodium-native';

export const MB = 1e6;

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** Median (upper median for even counts), minimum and maximum of a non-empty list. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError('spread of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** `median (min–max)` with `digits` decimals. */
export function formatSpread(s: Spread, digits = 0): string {
  return `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
}

/** Rounds to `digits` decimals, for JSON output. */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** 100 → "100 B", 1024 → "1 KiB", 65536 → "64 KiB". */
export function sizeLabel(bytes: number): string {
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** Integer with thousands separators, for tables. */
export function grouped(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Command-line `--name=value` (or `--name value`) lookup; `undefined` when absent. */
export function argValue(argv: readonly string[], name: string): string | undefined {
  const flag = `--${name}`;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === flag) return argv[i + 1];
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
  }
  return undefined;
}

/** A positive number option, or `fallback`; throws on garbage so a typo does not run silently. */
export function numberArg(argv: readonly string[], name: string, fallback: number): number {
  const text = argValue(argv, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`--${name} must be a positive number, got ${text}`);
  return value;
}

/** A whole-number option ≥ 0, or `fallback`. */
export function countArg(argv: readonly string[], name: string, fallback: number): number {
  const text = argValue(argv, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`--${name} must be a whole number ≥ 0, got ${text}`);
  return value;
}

/** MB/s of one core running `crypto_secretbox_detached` (seal) or `_open_detached` on `size` bytes for ~`ms`. */
export function secretboxRate(mode: 'seal' | 'open', size: number, ms: number): number {
  const key = randomBytes(32);
  const nonce = randomBytes(24);
  const plain = randomBytes(size);
  const cipher = Buffer.alloc(size);
  const tag = Buffer.alloc(16);
  sodium.crypto_secretbox_detached(cipher, tag, plain, nonce, key);
  let calls = 0;
  const started = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 16; i++) {
      if (mode === 'seal') sodium.crypto_secretbox_detached(plain, tag, plain, nonce, key);
      else if (!sodium.crypto_secretbox_open_detached(plain, cipher, tag, nonce, key)) throw new Error('secretbox open failed');
    }
    calls += 16;
    elapsed = performance.now() - started;
  } while (elapsed < ms);
  return (calls * size) / (elapsed / 1000) / MB;
}
