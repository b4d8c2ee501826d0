/**
 * The leaf layouts, which hold no other layout: big-endian integers, a hash's fixed bytes, the
 * bytes left in the enclosing value, and the text of a point (docs/messages.md, "Binary rules").
 */
import { Buffer } from 'node:buffer';
import { hashFromBase58, hashSize, hashToBase58, type HashKind } from './hashes.ts';
import { describe, fail, type LayoutFailure, type LayoutReader, type LayoutWriter } from './layout-cursor.ts';
import type { Layout } from './layout.ts';
import { parsePoint } from '../shared/wire/point.ts';

// ——— integers ———

type IntWidth = 'uint8' | 'int8' | 'uint16' | 'int32';

const INT_RANGES: Readonly<Record<IntWidth, readonly [number, number, number]>> = {
  uint8: [1, 0, 0xff],
  int8: [1, -0x80, 0x7f],
  uint16: [2, 0, 0xffff],
  int32: [4, -0x8000_0000, 0x7fff_ffff],
};

/**
 * A big-endian integer. A narrower `[min, max]` than the width makes it a checked conversion, as
 * Octez's `conv` with a raising decoder: other values are USER_FUNCTION failures both ways.
 */
export function int(width: IntWidth, range?: { min: number; max: number }): Layout<number> {
  const [size, widthMin, widthMax] = INT_RANGES[width];
  const min = range?.min ?? widthMin;
  const max = range?.max ?? widthMax;
  const narrowed = min !== widthMin || max !== widthMax;
  const check = (value: number, reason: LayoutFailure['reason']): void => {
    if (value < min || value > max) fail(reason, `${value} is not in ${min}..${max}`);
  };
  const readRaw =
    width === 'uint8' ? (r: LayoutReader) => r.buf[r.take(1)]!
    : width === 'int8' ? (r: LayoutReader) => r.buf.readInt8(r.take(1))
    : width === 'uint16' ? (r: LayoutReader) => r.buf.readUInt16BE(r.take(2))
    : (r: LayoutReader) => r.buf.readInt32BE(r.take(4));
  const writeRaw =
    width === 'uint8' ? (v: number, w: LayoutWriter) => (w.pos = w.buf.writeUInt8(v, w.pos))
    : width === 'int8' ? (v: number, w: LayoutWriter) => (w.pos = w.buf.writeInt8(v, w.pos))
    : width === 'uint16' ? (v: number, w: LayoutWriter) => (w.pos = w.buf.writeUInt16BE(v, w.pos))
    : (v: number, w: LayoutWriter) => (w.pos = w.buf.writeInt32BE(v, w.pos));
  return {
    shape: { type: 'int', min, max },
    fixedSize: size,
    maxSize: size,
    read: narrowed
      ? (r) => {
          const value = readRaw(r);
          check(value, 'USER_FUNCTION');
          return value;
        }
      : readRaw,
    measure(value) {
      if (typeof value !== 'number' || !Number.isInteger(value)) fail('USER_FUNCTION', `expected an integer, got ${describe(value)}`);
      check(value, narrowed ? 'USER_FUNCTION' : 'INVALID_INT');
      return size;
    },
    write: writeRaw,
    toJson: (value) => value,
    fromJson(json) {
      if (typeof json !== 'number' || !Number.isInteger(json)) fail('USER_FUNCTION', `expected an integer, got ${describe(json)}`);
      return json;
    },
  };
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A big-endian signed 64-bit integer as a bigint (timestamps); its JSON form is a decimal string. */
export const int64: Layout<bigint> = {
  shape: { type: 'int64' },
  fixedSize: 8,
  maxSize: 8,
  read: (r) => r.buf.readBigInt64BE(r.take(8)),
  measure(value) {
    if (typeof value !== 'bigint') fail('USER_FUNCTION', `expected a bigint, got ${describe(value)}`);
    if (value < INT64_MIN || value > INT64_MAX) fail('INVALID_INT', `${value} is not a signed 64-bit integer`);
    return 8;
  },
  write(value, w) {
    w.pos = w.buf.writeBigInt64BE(value, w.pos);
  },
  toJson: (value) => value.toString(),
  fromJson(json) {
    if (typeof json === 'string' && /^-?[0-9]+$/.test(json)) return BigInt(json);
    if (typeof json === 'number' && Number.isSafeInteger(json)) return BigInt(json);
    return fail('USER_FUNCTION', `expected a decimal integer string, got ${describe(json)}`);
  },
};

// ——— bytes ———

function checkBytes(value: unknown, size?: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) fail('USER_FUNCTION', `expected bytes, got ${describe(value)}`);
  if (size !== undefined && value.length !== size) fail('USER_FUNCTION', `expected ${size} bytes, got ${value.length}`);
}

export function writeBytes(value: Uint8Array, w: LayoutWriter): void {
  w.buf.set(value, w.pos);
  w.pos += value.length;
}

function bytesFromHex(json: unknown): Uint8Array {
  if (typeof json !== 'string' || json.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(json)) {
    return fail('USER_FUNCTION', 'expected an even number of hex digits');
  }
  const bytes = Buffer.from(json, 'hex');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

function hexOf(value: Uint8Array): string {
  return Buffer.from(value.buffer, value.byteOffset, value.length).toString('hex');
}

/** A hash or id: its fixed number of raw bytes; its JSON form is the base58check text. */
export function hash(kind: HashKind): Layout<Uint8Array> {
  const size = hashSize(kind);
  return {
    shape: { type: 'hash', kind },
    fixedSize: size,
    maxSize: size,
    read: (r) => r.view(size),
    measure(value) {
      checkBytes(value, size);
      return size;
    },
    write: writeBytes,
    toJson: (value) => hashToBase58(kind, value),
    fromJson(json) {
      if (typeof json !== 'string') fail('USER_FUNCTION', `expected a base58check ${kind} hash, got ${describe(json)}`);
      try {
        return hashFromBase58(kind, json);
      } catch (error) {
        return fail('USER_FUNCTION', `not a ${kind} hash: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
  };
}

/** `Variable.bytes`: every byte left in the enclosing value; its JSON form is lowercase hex. */
export const restBytes: Layout<Uint8Array> = {
  shape: { type: 'bytes' },
  fixedSize: undefined,
  maxSize: Infinity,
  read: (r) => r.view(r.remaining),
  measure(value) {
    checkBytes(value);
    return value.length;
  },
  write: writeBytes,
  toJson: hexOf,
  fromJson: bytesFromHex,
};

// ——— points ———

/**
 * The text of a point, `addr:port` or `[ipv6]:port` (`P2p_point.Id.encoding`: a length-prefixed
 * string the node parses as it reads, docs/messages.md "Points"). Decoding keeps the text as
 * received; both directions refuse what the node's parser refuses (host names, a missing port, a
 * port above 65535, an octet with a leading zero, a zone). Wrap it in `dynamic` and `checkSize`.
 */
export const pointText: Layout<string> = {
  shape: { type: 'point' },
  fixedSize: undefined,
  maxSize: Infinity,
  read(r) {
    const at = r.take(r.remaining);
    const text = r.buf.toString('latin1', at, r.pos);
    checkPoint(text);
    return text;
  },
  measure(value) {
    if (typeof value !== 'string') fail('USER_FUNCTION', `expected a point text, got ${describe(value)}`);
    checkPoint(value);
    return value.length; // the point syntax is ASCII
  },
  write(value, w) {
    w.pos += w.buf.write(value, w.pos, 'latin1');
  },
  toJson: (value) => value,
  fromJson(json) {
    if (typeof json !== 'string') fail('USER_FUNCTION', `expected a point text, got ${describe(json)}`);
    return json;
  },
};

function checkPoint(text: string): void {
  try {
    parsePoint(text);
  } catch (error) {
    fail('USER_FUNCTION', error instanceof Error ? error.message.replace(/^decoding error \([A-Z_]+\): /, '') : String(error));
  }
}
