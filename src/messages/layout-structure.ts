/** The structure combinators: `opt`, `obj`, unions of tagged cases, and a layout declared later. */
import { describe, fail, withSegment, type LayoutReader } from './layout-cursor.ts';
import type { AnyLayout, Infer, Json, Layout } from './layout.ts';

type Simplify<T> = { [K in keyof T]: T[K] } & {};

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
