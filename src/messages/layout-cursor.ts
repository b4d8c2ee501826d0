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

export class LayoutReader {
  readonly buf: Buffer;
  /** `buf`'s ArrayBuffer and offset in it, read once: `view` makes its views from them. */
  private readonly memory: ArrayBufferLike;
  private readonly base: number;
  pos: number;
  /** End of the innermost size-delimited value. */
  end: number;
  /** Bytes left in the innermost size budget; Infinity when none is active. */
  allowed: number;

  constructor(buf: Buffer, start: number, end: number) {
    this.buf = buf;
    this.memory = buf.buffer;
    this.base = buf.byteOffset;
    this.pos = start;
    this.end = end;
    this.allowed = Infinity;
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

export class LayoutWriter {
  readonly buf: Buffer;
  pos: number;
  constructor(buf: Buffer, start = 0) {
    this.buf = buf;
    this.pos = start;
  }
}
