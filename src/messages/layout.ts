/**
 * What a layout is, and the layout combinators' one import path (they live in `layout-scalars.ts`,
 * `layout-sizes.ts`, `layout-lists.ts`, `layout-structure.ts`). Each wire layout of the peer
 * messages is declared once with them, and the declaration gives the binary reader, the size
 * check and writer, the JSON form, the largest encoding and (by inference) the TypeScript type
 * (docs/messages.md, "Binary rules").
 *
 * They follow the Data_encoding constructs Octez declares its messages with: fixed-width
 * integers, fixed bytes, `dynamic_size`, `check_size`, `Variable.list ?max_length`, `obj`, `opt`
 * and unions. Reading checks every length against the bytes remaining and the active size budget
 * before it allocates; `measure` refuses what a reader would refuse, and `write` only runs on
 * values `measure` accepted.
 */
import type { HashKind } from './hashes.ts';
import type { LayoutReader, LayoutWriter } from './layout-cursor.ts';

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

export { hash, int, int64, pointText, restBytes } from './layout-scalars.ts';
export { checkSize, dynamic } from './layout-sizes.ts';
export { hashList, list } from './layout-lists.ts';
export { lazy, obj, option, tagged, union, type ObjLayout, type UnionCase, type UnionValue } from './layout-structure.ts';
