/**
 * The reader and writer state the layout combinators share, and the failure they throw
 * (docs/messages.md, "Binary rules").
 *
 * The reader follows Data_encoding's binary reader: it carries the bytes *remaining* before the end
 * of the innermost size-delimited value and the bytes *allowed* by the innermost size budget
 * (`check_size`). Every read of n bytes needs `remaining ≥ n` (else NOT_ENOUGH_DATA), then
 * `allowed ≥ n` (else SIZE_LIMIT_EXCEEDED), so nothing is allocated for a length a peer announces
 * before it is checked against both.
 */
import { Buffer } from 'node:buffer';
import type { DecodingReason } from '../shared/errors.ts';

/**
 * A failure inside a layout. The field path is collected while the stack unwinds (each object,
 * list and union adds its segment), so a successful read or write builds no path at all; the codec
 * turns it into a DecodingError or EncodingError at the top.
 */
export class LayoutFailure {
  readonly reason: DecodingReason;
  readonly detail: string;
  /** Path segments, innermost first (`[3]`, `.history`, `.locator`, `Current_branch`). */
  readonly segments: string[] = [];
  constructor(reason: DecodingReason, detail: string) {
    this.reason = reason;
    this.detail = detail;
  }

  /** The dotted path, outermost first: `Current_branch.locator.history[3]`. */
  path(): string {
    let text = '';
    for (let i = this.segments.length - 1; i >= 0; i--) text += this.segments[i];
    return text.startsWith('.') ? text.slice(1) : text;
  }
}

/** Adds a path segment to a LayoutFailure and rethrows; anything else is rethrown as is. */
export function withSegment(error: unknown, segment: string): never {
  if (error instanceof LayoutFailure) error.segments.push(segment);
  throw error;
}

/** Throws a LayoutFailure. */
export function fail(reason: LayoutFailure['reason'], detail: string): never {
  throw new LayoutFailure(reason, detail);
}

/** What a value is, for a failure's detail: `null`, `32 bytes`, `an array`, or its `typeof`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

const NO_BYTES = Buffer.alloc(0);

/**
 * Where a read is. A codec keeps one and points it at each input in turn (`reset`), then lets go
 * of the input (`release`), so a decode allocates no cursor.
 */
export class LayoutReader {
  buf: Buffer = NO_BYTES;
  /** `buf`'s ArrayBuffer and offset in it, read once: `view` makes its views from them. */
  private memory: ArrayBufferLike = NO_BYTES.buffer;
  private base = 0;
  pos = 0;
  /** End of the innermost size-delimited value. */
  end = 0;
  /** Bytes left in the innermost size budget; Infinity when none is active. */
  allowed = Infinity;

  constructor(buf: Buffer = NO_BYTES, start = 0, end: number = buf.length) {
    this.reset(buf, start, end);
  }

  /** Starts reading `buf` from `start` to `end`, with no size budget. */
  reset(buf: Buffer, start: number, end: number): void {
    this.buf = buf;
    this.memory = buf.buffer;
    this.base = buf.byteOffset;
    this.pos = start;
    this.end = end;
    this.allowed = Infinity;
  }

  /** Drops the reference to the last input. */
  release(): void {
    this.reset(NO_BYTES, 0, 0);
  }

  /** Whether it is reading something now (between `reset` and `release`). */
  get busy(): boolean {
    return this.buf !== NO_BYTES;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Claims n bytes (remaining first, then the budget, as Data_encoding does); returns their offset. */
  take(n: number): number {
    const at = this.pos;
    if (this.end - at < n) throw new LayoutFailure('NOT_ENOUGH_DATA', `need ${n} bytes, ${this.end - at} left`);
    if (this.allowed < n) throw new LayoutFailure('SIZE_LIMIT_EXCEEDED', `need ${n} bytes, ${this.allowed} left in the size limit`);
    this.pos = at + n;
    this.allowed -= n;
    return at;
  }

  /** A view of n claimed bytes; it shares memory with the input. */
  view(n: number): Uint8Array {
    const at = this.take(n);
    return new Uint8Array(this.memory, this.base + at, n);
  }
}

/** Where a write is; reused like LayoutReader. */
export class LayoutWriter {
  buf: Buffer = NO_BYTES;
  pos = 0;
  constructor(buf: Buffer = NO_BYTES, start = 0) {
    this.reset(buf, start);
  }

  reset(buf: Buffer, start: number): void {
    this.buf = buf;
    this.pos = start;
  }

  release(): void {
    this.reset(NO_BYTES, 0);
  }

  get busy(): boolean {
    return this.buf !== NO_BYTES;
  }
}
