/** The list combinators: `Variable.list ?max_length` of any layout, and of hashes kept packed. */
import { HashList, HASH_SIZE } from './hash-list.ts';
import type { HashKind } from './hashes.ts';
import { describe, fail, withSegment } from './layout-cursor.ts';
import { hash, writeBytes } from './layout-scalars.ts';
import type { Layout } from './layout.ts';

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
