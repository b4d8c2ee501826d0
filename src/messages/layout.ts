/**
 * Layout combinators: each wire layout of the peer messages is declared once with these, and the
 * declaration gives the binary reader, the size check and writer, the JSON form, the largest
 * encoding and (by inference) the TypeScript type (docs/messages.md, "Binary rules").
 *
 * They follow the Data_encoding constructs Octez declares its messages with: fixed-width
 * integers, fixed bytes, `dynamic_size`, `check_size`, `Variable.list ?max_length`, `obj`, `opt`
 * and unions. Reading checks every length against the bytes remaining and the active size budget
 * before it allocates; `measure` refuses what a reader would refuse, and `write` only runs on
 * values `measure` accepted.
 */
import { Buffer } from 'node:buffer';
import { HashList, HASH_SIZE } from './hash-list.ts';
import { hashFromBase58, hashSize, hashToBase58, type HashKind } from './hashes.ts';
import { LayoutFailure, withSegment, type LayoutReader, type LayoutWriter } from './layout-cursor.ts';
import { parsePoint } from '../shared/wire/point.ts';

/** A JSON value, as `codec decode` prints it. */
export type Json = null | boolean | number | string | Json[] | { [field: string]: Json };

/** What a layout is, for tools that walk a declaration (test arbitraries, docs). */
export type Shape =
  | { readonly type: 'int'; readonly min: number; readonly max: number }
  | { readonly type: 'int64' }
  | { readonly type: 'hash'; readonly kind: HashKind }
  | { readonly type: 'hashList'; readonly kind: HashKind; readonly maxLength: number | undefined }
  | { readonly type: 'bytes' }
  | { readonly type: 'point' }
  | { readonly type: 'dynamic'; readonly inner: AnyLayout }
  | { readonly type: 'checkSize'; readonly limit: number; readonly inner: AnyLayout }
  | { readonly type: 'list'; readonly inner: AnyLayout; readonly maxLength: number | undefined }
  | { readonly type: 'option'; readonly inner: AnyLayout }
  | { readonly type: 'obj'; readonly fields: Readonly<Record<string, AnyLayout>> }
  | { readonly type: 'union'; readonly cases: Readonly<Record<string, { readonly tag: number; readonly body: AnyLayout }>> }
  | { readonly type: 'lazy'; readonly get: () => AnyLayout };

export interface Layout<T> {
  readonly shape: Shape;
  /** The size of every encoding when they all have one, else undefined. */
  readonly fixedSize: number | undefined;
  /** The largest encoding in bytes (Infinity when unbounded). */
  readonly maxSize: number;
  /** Reads one value; throws LayoutFailure. */
  read(r: LayoutReader): T;
  /** Checks a value as a node's reader would, and returns its encoded size; throws LayoutFailure. */
  measure(value: T): number;
  /** Writes a value that `measure` accepted. */
  write(value: T, w: LayoutWriter): void;
  toJson(value: T): Json;
  /** The value of a JSON form; throws LayoutFailure when it is not one (bounds are `measure`'s job). */
  fromJson(json: unknown): T;
}

/** Any layout, where only its shape matters. */
export type AnyLayout = Layout<unknown>;

/** The type of the values of a layout. */
export type Infer<L> = L extends Layout<infer T> ? T : never;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

function fail(reason: LayoutFailure['reason'], detail: string): never {
  throw new LayoutFailure(reason, detail);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

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

function writeBytes(value: Uint8Array, w: LayoutWriter): void {
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

// ——— sizes ———

/** Largest `uint30` length. */
const UINT30_MAX = 0x3fff_ffff;

/**
 * `dynamic_size`: a u32 byte length, then the value occupying exactly that many bytes. The length
 * is checked against the bytes remaining, then against the size budget, before the value is read;
 * a value that ends early is EXTRA_BYTES.
 */
export function dynamic<T>(inner: Layout<T>): Layout<T> {
  return {
    shape: { type: 'dynamic', inner },
    fixedSize: undefined,
    maxSize: 4 + Math.min(inner.maxSize, UINT30_MAX),
    read(r) {
      const at = r.take(4);
      if (r.buf[at]! & 0x80) fail('INVALID_INT', 'length with the top bit set');
      const n = r.buf.readUInt32BE(at);
      if (n > r.remaining) fail('NOT_ENOUGH_DATA', `length ${n}, ${r.remaining} bytes left`);
      if (n > r.allowed) fail('SIZE_LIMIT_EXCEEDED', `length ${n}, ${r.allowed} bytes left in the size limit`);
      const outerEnd = r.end;
      r.end = r.pos + n;
      const value = inner.read(r);
      if (r.pos !== r.end) fail('EXTRA_BYTES', `${r.end - r.pos} bytes left after the value`);
      r.end = outerEnd;
      return value;
    },
    measure(value) {
      const size = inner.measure(value);
      if (size > UINT30_MAX) fail('SIZE_LIMIT_EXCEEDED', `${size} bytes do not fit a length prefix`);
      return 4 + size;
    },
    write(value, w) {
      const at = w.pos;
      w.pos += 4;
      inner.write(value, w);
      w.buf.writeUInt32BE(w.pos - at - 4, at);
    },
    toJson: (value) => inner.toJson(value),
    fromJson: (json) => inner.fromJson(json),
  };
}

/** `check_size`: the value, its nested length prefixes included, takes at most `limit` bytes. */
export function checkSize<T>(limit: number, inner: Layout<T>): Layout<T> {
  return {
    shape: { type: 'checkSize', limit, inner },
    fixedSize: inner.fixedSize,
    maxSize: Math.min(limit, inner.maxSize),
    read(r) {
      const outer = r.allowed;
      const budget = Math.min(outer, limit);
      r.allowed = budget;
      const value = inner.read(r);
      r.allowed = outer - (budget - r.allowed);
      return value;
    },
    measure(value) {
      const size = inner.measure(value);
      if (size > limit) fail('SIZE_LIMIT_EXCEEDED', `${size} bytes, at most ${limit}`);
      return size;
    },
    write: (value, w) => inner.write(value, w),
    toJson: (value) => inner.toJson(value),
    fromJson: (json) => inner.fromJson(json),
  };
}

// ——— lists ———

/**
 * `Variable.list ?max_length`: elements up to the end of the enclosing value. Reading fails with
 * LIST_TOO_LONG as soon as one more element would start past `maxLength`; an element of a fixed
 * size s also puts the list in a `check_size (s × maxLength)` budget, as Data_encoding does.
 */
export function list<T>(inner: Layout<T>, maxLength?: number): Layout<T[]> {
  const budget = maxLength !== undefined && inner.fixedSize !== undefined ? inner.fixedSize * maxLength : Infinity;
  const maxSize = maxLength === undefined ? Infinity : Math.min(budget, inner.maxSize * maxLength);
  return {
    shape: { type: 'list', inner, maxLength },
    fixedSize: undefined,
    maxSize,
    read(r) {
      const outer = r.allowed;
      const limit = Math.min(outer, budget);
      r.allowed = limit;
      const values: T[] = [];
      while (r.pos < r.end) {
        if (values.length === maxLength) fail('LIST_TOO_LONG', `more than ${maxLength} elements`);
        try {
          values.push(inner.read(r));
        } catch (error) {
          withSegment(error, `[${values.length}]`);
        }
      }
      r.allowed = outer - (limit - r.allowed);
      return values;
    },
    measure(values) {
      if (!Array.isArray(values)) fail('USER_FUNCTION', `expected an array, got ${describe(values)}`);
      if (maxLength !== undefined && values.length > maxLength) fail('LIST_TOO_LONG', `${values.length} elements, at most ${maxLength}`);
      let size = 0;
      for (let i = 0; i < values.length; i++) {
        try {
          size += inner.measure(values[i]!);
        } catch (error) {
          withSegment(error, `[${i}]`);
        }
      }
      return size;
    },
    write(values, w) {
      for (const value of values) inner.write(value, w);
    },
    toJson: (values) => values.map((value) => inner.toJson(value)),
    fromJson(json) {
      if (!Array.isArray(json)) fail('USER_FUNCTION', `expected an array, got ${describe(json)}`);
      return json.map((element: unknown, i) => {
        try {
          return inner.fromJson(element);
        } catch (error) {
          return withSegment(error, `[${i}]`);
        }
      });
    },
  };
}

/**
 * `Variable.list ?max_length` of 32-byte hashes, kept packed as a HashList. Same reading rule as
 * `list` (with its `32 × maxLength` budget); the JSON form is an array of base58check texts.
 */
export function hashList(kind: HashKind, maxLength?: number): Layout<HashList> {
  const budget = maxLength === undefined ? Infinity : HASH_SIZE * maxLength;
  const hashLayout = hash(kind);
  return {
    shape: { type: 'hashList', kind, maxLength },
    fixedSize: undefined,
    maxSize: budget,
    read(r) {
      const outer = r.allowed;
      const limit = Math.min(outer, budget);
      const n = r.end - r.pos;
      // The common case, one view: whole hashes, within the list's length and the budget.
      if (n % HASH_SIZE === 0 && n <= limit) return new HashList(r.view(n));
      // Find the first failing element, in the order the element-by-element reader meets them.
      r.allowed = limit;
      let count = 0;
      while (r.pos < r.end) {
        if (count === maxLength) fail('LIST_TOO_LONG', `more than ${maxLength} hashes`);
        try {
          r.take(HASH_SIZE);
        } catch (error) {
          withSegment(error, `[${count}]`);
        }
        count++;
      }
      throw new Error('unreachable: a hash list that is not whole hashes within its limits fails');
    },
    measure(value) {
      if (!(value instanceof HashList)) fail('USER_FUNCTION', `expected a HashList, got ${describe(value)}`);
      if (maxLength !== undefined && value.length > maxLength) fail('LIST_TOO_LONG', `${value.length} hashes, at most ${maxLength}`);
      return value.bytes.length;
    },
    write: (value, w) => writeBytes(value.bytes, w),
    toJson: (value) => [...value].map((h) => hashLayout.toJson(h)),
    fromJson(json) {
      if (!Array.isArray(json)) fail('USER_FUNCTION', `expected an array of ${kind} hashes, got ${describe(json)}`);
      return HashList.from(
        json.map((element: unknown, i) => {
          try {
            return hashLayout.fromJson(element);
          } catch (error) {
            return withSegment(error, `[${i}]`);
          }
        }),
      );
    },
  };
}

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

// ——— structure ———

/** `opt`: a presence byte (written 0x00/0xff, read as non-zero = present), then the value. */
export function option<T>(inner: Layout<T>): Layout<T | undefined> {
  return {
    shape: { type: 'option', inner },
    fixedSize: undefined,
    maxSize: 1 + inner.maxSize,
    read: (r) => (r.buf[r.take(1)] === 0 ? undefined : inner.read(r)),
    measure: (value) => (value === undefined ? 1 : 1 + inner.measure(value)),
    write(value, w) {
      if (value === undefined) {
        w.buf[w.pos++] = 0x00;
      } else {
        w.buf[w.pos++] = 0xff;
        inner.write(value, w);
      }
    },
    toJson: (value) => (value === undefined ? null : inner.toJson(value)),
    fromJson: (json) => (json === null || json === undefined ? undefined : inner.fromJson(json)),
  };
}

type Fields = Readonly<Record<string, AnyLayout>>;
type ObjValue<F extends Fields> = Simplify<{ -readonly [K in keyof F]: Infer<F[K]> }>;

/** An object layout; unions build their cases from these. */
export interface ObjLayout<T> extends Layout<T> {
  /** Reads the fields into `out` (a union's case object, which already holds `kind`). */
  readInto(r: LayoutReader, out: Record<string, unknown>): void;
}

/** `obj`: the fields one after another, in declaration order. */
export function obj<F extends Fields>(fields: F): ObjLayout<ObjValue<F>> {
  const names = Object.keys(fields);
  const layouts = names.map((name) => fields[name]!);
  const fixed = layouts.every((l) => l.fixedSize !== undefined) ? layouts.reduce((sum, l) => sum + l.fixedSize!, 0) : undefined;
  const readInto = (r: LayoutReader, out: Record<string, unknown>): void => {
    let i = 0;
    try {
      for (; i < names.length; i++) out[names[i]!] = layouts[i]!.read(r);
    } catch (error) {
      withSegment(error, `.${names[i]}`);
    }
  };
  const record = (value: unknown): Record<string, unknown> => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('USER_FUNCTION', `expected an object, got ${describe(value)}`);
    return value as Record<string, unknown>;
  };
  return {
    shape: { type: 'obj', fields },
    fixedSize: fixed,
    maxSize: layouts.reduce((sum, l) => sum + l.maxSize, 0),
    readInto,
    read(r) {
      const out: Record<string, unknown> = {};
      readInto(r, out);
      return out as ObjValue<F>;
    },
    measure(value) {
      const fieldsOf = record(value);
      let size = 0;
      let i = 0;
      try {
        for (; i < names.length; i++) size += layouts[i]!.measure(fieldsOf[names[i]!]);
      } catch (error) {
        withSegment(error, `.${names[i]}`);
      }
      return size;
    },
    write(value, w) {
      const fieldsOf = value as Record<string, unknown>;
      for (let i = 0; i < names.length; i++) layouts[i]!.write(fieldsOf[names[i]!], w);
    },
    toJson(value) {
      const fieldsOf = value as Record<string, unknown>;
      const out: { [field: string]: Json } = {};
      for (let i = 0; i < names.length; i++) out[names[i]!] = layouts[i]!.toJson(fieldsOf[names[i]!]);
      return out;
    },
    fromJson(json) {
      const fieldsOf = record(json);
      for (const name of Object.keys(fieldsOf)) {
        // `kind` names the case of an enclosing union.
        if (name !== 'kind' && !Object.hasOwn(fields, name)) fail('USER_FUNCTION', `unknown field ${JSON.stringify(name)}`);
      }
      const out: Record<string, unknown> = {};
      let i = 0;
      try {
        for (; i < names.length; i++) out[names[i]!] = layouts[i]!.fromJson(fieldsOf[names[i]!]);
      } catch (error) {
        withSegment(error, `.${names[i]}`);
      }
      return out as ObjValue<F>;
    },
  };
}

/** One case of a union: its tag and the object layout of its fields. */
export interface UnionCase<T> {
  readonly tag: number;
  readonly body: ObjLayout<T>;
}

/** A union case with these fields. */
export function tagged<F extends Fields>(tag: number, fields: F): UnionCase<ObjValue<F>> {
  return { tag, body: obj(fields) };
}

type Cases = Readonly<Record<string, UnionCase<unknown>>>;
type CaseValue<C> = C extends UnionCase<infer T> ? T : never;
/** The values of a union: `{ kind: <case name>, ...fields }` for each case. */
export type UnionValue<C extends Cases> = { [K in keyof C & string]: Simplify<{ kind: K } & CaseValue<C[K]>> }[keyof C & string];

/**
 * A union: a tag (`u8` or `u16`), then the case's fields. The value's `kind` is the case name;
 * an unknown tag is UNEXPECTED_TAG.
 */
export function union<C extends Cases>(tagSize: 1 | 2, cases: C): Layout<UnionValue<C>> {
  const names = Object.keys(cases);
  const byTag: Array<{ readonly kind: string; readonly body: ObjLayout<unknown> } | undefined> = [];
  const byKind = new Map<unknown, UnionCase<unknown>>();
  for (const name of names) {
    const { tag, body } = cases[name]!;
    if (byTag[tag] !== undefined) throw new Error(`union tag ${tag} declared twice`);
    byTag[tag] = { kind: name, body };
    byKind.set(name, cases[name]!);
  }
  // The case found last: an encode looks its case up to measure and again to write, and a stream
  // of messages tends to repeat a kind, so most look-ups end at this comparison.
  let lastKind: unknown;
  let lastCase: UnionCase<unknown> | undefined;
  const caseOf = (kind: unknown): UnionCase<unknown> => {
    if (kind === lastKind && lastCase !== undefined) return lastCase;
    const found = byKind.get(kind);
    if (found === undefined) fail('UNEXPECTED_TAG', `unknown kind ${JSON.stringify(kind)}`);
    lastKind = kind;
    lastCase = found;
    return found;
  };
  const kindOf = (value: unknown): string => {
    if (typeof value !== 'object' || value === null) fail('USER_FUNCTION', `expected an object with a kind, got ${describe(value)}`);
    return (value as { kind?: unknown }).kind as string;
  };
  return {
    shape: { type: 'union', cases },
    fixedSize: undefined,
    maxSize: tagSize + names.reduce((max, name) => Math.max(max, cases[name]!.body.maxSize), 0),
    read(r) {
      const at = r.take(tagSize);
      const tag = tagSize === 1 ? r.buf[at]! : r.buf.readUInt16BE(at);
      const found = byTag[tag];
      if (found === undefined) fail('UNEXPECTED_TAG', `tag 0x${tag.toString(16).padStart(tagSize * 2, '0')}`);
      const out: Record<string, unknown> = { kind: found.kind };
      try {
        found.body.readInto(r, out);
      } catch (error) {
        withSegment(error, `.${found.kind}`);
      }
      return out as UnionValue<C>;
    },
    measure(value) {
      const kind = kindOf(value);
      const body = caseOf(kind).body;
      try {
        return tagSize + body.measure(value);
      } catch (error) {
        return withSegment(error, `.${kind}`);
      }
    },
    write(value, w) {
      const c = caseOf(value.kind);
      w.pos = tagSize === 1 ? w.buf.writeUInt8(c.tag, w.pos) : w.buf.writeUInt16BE(c.tag, w.pos);
      c.body.write(value, w);
    },
    toJson(value) {
      return { kind: value.kind, ...(caseOf(value.kind).body.toJson(value) as { [field: string]: Json }) };
    },
    fromJson(json) {
      const kind = kindOf(json);
      const body = caseOf(kind).body;
      try {
        return { kind, ...(body.fromJson(json) as object) } as UnionValue<C>;
      } catch (error) {
        return withSegment(error, `.${kind}`);
      }
    },
  };
}

/** A layout declared later, for recursive layouts; unbounded on its own, so put it under `checkSize`. */
export function lazy<T>(get: () => Layout<T>): Layout<T> {
  return {
    shape: { type: 'lazy', get },
    fixedSize: undefined,
    maxSize: Infinity,
    read: (r) => get().read(r),
    measure: (value) => get().measure(value),
    write: (value, w) => get().write(value, w),
    toJson: (value) => get().toJson(value),
    fromJson: (json) => get().fromJson(json),
  };
}
