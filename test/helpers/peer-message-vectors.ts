/**
 * Reads test/vectors/peer-messages.json: each vector's stream bytes, expanded from `framed` or
 * `framedParts` (hex strings and `{ repeat, times }` runs).
 */
import { readFileSync } from 'node:fs';

type Part = string | { repeat: string; times: number };

export interface PeerMessageVector {
  name: string;
  source: { repo: string; commit: string; path: string };
  derived?: string;
  /** Stream form: u32 length ‖ u16 tag ‖ body. */
  bytes: Buffer;
  /** For valid vectors: the kind and a few fields of the JSON form (`level`: the first level in it). */
  expect?: Record<string, unknown>;
  /** For valid vectors whose spelling is not canonical: what they re-encode to. */
  reencoded?: Buffer;
  /** For invalid vectors: DecodingError.reason and .path (null: not inside a field). */
  reason?: string | null;
  path?: string | null;
}

interface RawVector extends Omit<PeerMessageVector, 'bytes' | 'reencoded'> {
  framed?: string;
  framedParts?: Part[];
  reencoded?: string;
}

function bytesOf(raw: RawVector): Buffer {
  const parts: Part[] = raw.framedParts ?? [raw.framed!];
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'hex') : Buffer.alloc(part.times * (part.repeat.length / 2), part.repeat, 'hex'))));
}

function load(raw: RawVector): PeerMessageVector {
  const { framed: _framed, framedParts: _parts, reencoded, ...rest } = raw;
  return { ...rest, bytes: bytesOf(raw), ...(reencoded === undefined ? {} : { reencoded: Buffer.from(reencoded, 'hex') }) };
}

const file = JSON.parse(readFileSync(new URL('../vectors/peer-messages.json', import.meta.url), 'utf8')) as {
  valid: RawVector[];
  invalid: RawVector[];
  large: RawVector[];
};

export const validVectors: PeerMessageVector[] = file.valid.map(load);
export const invalidVectors: PeerMessageVector[] = file.invalid.map(load);
/** Megabyte-sized bounds; built on demand. */
export function largeVectors(): PeerMessageVector[] {
  return file.large.map(load);
}
