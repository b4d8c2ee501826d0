/**
 * A cursor over a Buffer for exact, Data_encoding-style decoding (protocol.md §A).
 *
 * Every read first checks that the bytes are there and throws
 * `DecodingError('NOT_ENOUGH_DATA')` otherwise, the way Data_encoding's `read_atom` checks
 * `remaining_bytes` before touching the buffer. `expectEnd()` gives `EXTRA_BYTES`, as
 * `Binary.of_bytes` does when the value ends before the buffer.
 *
 * Allocation policy: integers are assembled from the bytes directly (no DataView, no temporary
 * Buffer). `fixed`/`lengthPrefixed` return **views** (`subarray`) that share memory with the
 * input: they are only valid while the caller keeps the input untouched. Use `fixedCopy` for a
 * value that must outlive the input (e.g. keys read from a socket buffer that is reused).
 */
import { DecodingError } from '../errors.ts';


export class BinaryReader {
  readonly #buf: Buffer;
  #pos: number;
  readonly #end: number;

  /** Reads `buf[start, end)`; the window defaults to the whole buffer. */
  constructor(buf: Buffer, start = 0, end = buf.length) {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > buf.length || start > end) {
      throw new RangeError(`invalid reader window [${start}, ${end}) over ${buf.length} bytes`);
    }
    this.#buf = buf;
    this.#pos = start;
    this.#end = end;
  }

  /** Absolute offset of the next byte in the underlying buffer. */
  get offset(): number {
    return this.#pos;
  }

  /** Bytes left before the end of the window. */
  get remaining(): number {
    return this.#end - this.#pos;
  }

  /** Throws NOT_ENOUGH_DATA unless `n` more bytes are available; returns the current offset. */
  #take(n: number, what: string): number {
    const at = this.#pos;
    if (this.#end - at < n) {
      throw new DecodingError('NOT_ENOUGH_DATA', `${what}: need ${n} bytes at offset ${at}, ${this.#end - at} left`);
    }
    this.#pos = at + n;
    return at;
  }

  u8(what = 'uint8'): number {
    return this.#buf[this.#take(1, what)]!;
  }

  /** Data_encoding `bool`: any non-zero byte is true (protocol.md §A). */
  bool(what = 'bool'): boolean {
    return this.u8(what) !== 0;
  }

  u16(what = 'uint16'): number {
    const at = this.#take(2, what);
    const b = this.#buf;
    return (b[at]! << 8) | b[at + 1]!;
  }

  i16(what = 'int16'): number {
    const v = this.u16(what);
    return v >= 0x8000 ? v - 0x10000 : v;
  }

  /**
   * A 4-byte BE length (Data_encoding `Uint30`). The reader decodes it as a signed int32 and
   * rejects negatives with `Invalid_int`, so values up to 2^31-1 pass here and then fail as
   * NOT_ENOUGH_DATA when the bytes are not there (protocol.md §A, §14.3).
   */
  uint30(what = 'uint30'): number {
    const at = this.#take(4, what);
    const b = this.#buf;
    const top = b[at]!;
    if (top & 0x80) {
      throw new DecodingError('INVALID_INT', `${what}: length with the top bit set at offset ${at}`);
    }
    // top < 0x80, so the product stays exact and positive (no 32-bit sign wrap).
    return top * 0x100_0000 + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
  }

  /** `Fixed.bytes n` as a view sharing memory with the input (see the module note). */
  fixed(n: number, what = 'bytes'): Buffer {
    const at = this.#take(n, what);
    return this.#buf.subarray(at, at + n);
  }

  /** `Fixed.bytes n` copied out, for values that must outlive the input buffer. */
  fixedCopy(n: number, what = 'bytes'): Buffer {
    const at = this.#take(n, what);
    return Buffer.from(this.#buf.subarray(at, at + n));
  }

  /**
   * `bytes`/`string`: a `uint30` length then that many bytes, returned as a view.
   * The length is checked against the remaining bytes before anything else (protocol.md §A).
   */
  lengthPrefixed(what = 'bytes'): Buffer {
    const n = this.uint30(`${what} length`);
    return this.fixed(n, what);
  }

  /**
   * `dynamic_size e`: a `uint30` byte length, then a reader over exactly those bytes. The outer
   * cursor moves past them at once; the caller must drain the sub-reader and call `expectEnd()`
   * on it (Data_encoding raises `Extra_bytes` when e stops short).
   */
  lengthPrefixedReader(what = 'dynamic_size'): BinaryReader {
    const n = this.uint30(`${what} length`);
    const at = this.#take(n, what);
    return new BinaryReader(this.#buf, at, at + n);
  }

  /** Exact-length decoding: fails with EXTRA_BYTES if anything is left (protocol.md §A). */
  expectEnd(what = 'value'): void {
    const left = this.#end - this.#pos;
    if (left !== 0) {
      throw new DecodingError('EXTRA_BYTES', `${what}: ${left} trailing bytes at offset ${this.#pos}`);
    }
  }
}
