/** The size combinators: `dynamic_size` (a length prefix) and `check_size` (a size budget). */
import { fail } from './layout-cursor.ts';
import type { Layout } from './layout.ts';

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
