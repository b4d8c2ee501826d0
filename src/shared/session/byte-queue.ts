/**
 * A FIFO of received bytes that hands out exact-length slices without copying when a slice lies
 * inside one received buffer (the common case: a whole chunk in one TCP read).
 */
import { isBorrowed } from './borrowed-reads.ts';

const EMPTY = Buffer.alloc(0);
/**
 * A push of at most this many bytes while bytes are already held is copied into an owned buffer
 * of TAIL_CAPACITY instead of being held as it came: Node gives each socket read its own Buffer,
 * with heap overhead far above one byte, so a peer dribbling a 65,537-byte chunk one byte per
 * segment would otherwise make megabytes of heap per connection.
 * Only pushes onto a non-empty queue are copied: a chunk that arrives whole (the echo path) is
 * held as it came.
 */
const SMALL_PUSH = 512;
const TAIL_CAPACITY = 16 * 1024;

export class ByteQueue {
  /**
   * The front buffer apart, the others (rare: a chunk spanning reads) behind it in `rest`. A queue
   * of one buffer, the rule on the echo path, then never touches an array: `push` after `shift()`
   * on one array reallocated the store V8 trims from the front, ~100 B of garbage per received
   * chunk (bench/echo-path.ts), and a store kept for reuse cost idle connections memory.
   * `rest` is read by index from `restHead`, not with `shift()`: a peer sending a maximal chunk
   * one byte per segment leaves 65,537 buffers there, a store in V8's large-object space whose
   * front cannot be trimmed, so each `shift()` moved all the rest (3.9 s to join one chunk; test
   * byte-queue-dribbled-chunk). Made on first use: an idle connection keeps no array.
   */
  private first: Buffer | undefined;
  private rest: Array<Buffer | undefined> | undefined;
  private restHead = 0;
  /** Read offset into `first`. */
  private offset = 0;
  /** The owned buffer small pushes are copied into; the last held buffer is a view of it up to `tailEnd`. */
  private tail: Buffer | undefined;
  private tailStart = 0;
  private tailEnd = 0;
  /** Bytes held. */
  length = 0;

  push(data: Buffer): void {
    const size = data.length;
    if (size === 0) return;
    this.length += size;
    if (this.first === undefined) {
      this.first = data;
      this.tail = undefined;
    } else if (size > SMALL_PUSH) {
      (this.rest ??= []).push(data);
      this.tail = undefined;
    } else if (this.tail && this.tailEnd + size <= this.tail.length) {
      // Append to the tail: the last held buffer grows (a longer view of the same bytes).
      data.copy(this.tail, this.tailEnd);
      this.tailEnd += size;
      this.setLast(this.tail.subarray(this.tailStart, this.tailEnd));
    } else {
      this.tail = Buffer.allocUnsafe(TAIL_CAPACITY);
      data.copy(this.tail, 0);
      this.tailStart = 0;
      this.tailEnd = size;
      (this.rest ??= []).push(this.tail.subarray(0, size));
    }
  }

  /** Replaces the last held buffer (the tail's view) with `view`, which starts at the same byte. */
  private setLast(view: Buffer): void {
    const rest = this.rest;
    if (rest !== undefined && this.restHead < rest.length) rest[rest.length - 1] = view;
    else this.first = view;
  }

  /** The u16 BE at the front; the caller checks `length >= 2`. */
  peekUInt16BE(): number {
    if (this.length < 2) throw new RangeError(`ByteQueue.peekUInt16BE with ${this.length} bytes held`);
    const first = this.first!;
    if (first.length - this.offset >= 2) return first.readUInt16BE(this.offset);
    return (first[this.offset]! << 8) | this.rest![this.restHead]![0]!;
  }

  /**
   * Removes and returns the first `n` bytes (the caller checks `length >= n`). The result is a
   * view when it lies in one received buffer, else a copy (into `scratch` when given: then it is
   * only valid until the next call). Either way the caller owns the bytes (nobody else reads
   * received buffers), so in-place decryption is safe; a view of the thread's read buffer
   * (borrowed-reads.ts) is valid only until that read's callback returns.
   */
  take(n: number, scratch?: Buffer): Buffer {
    // Zero bytes is a real request (a peer may announce an empty field: `00 00`) and
    // may come when nothing is buffered: there is no first buffer to look at then.
    if (n === 0) return EMPTY;
    if (n > this.length) throw new RangeError(`ByteQueue.take(${n}) with ${this.length} bytes held`);
    const first = this.first!;
    const available = first.length - this.offset;
    if (n === available && this.offset === 0) {
      // The whole received buffer (a small message's chunk alone in its read): no view to make.
      this.consume(n, available);
      return first;
    }
    if (n <= available) {
      const out = first.subarray(this.offset, this.offset + n);
      this.consume(n, available);
      return out;
    }
    // Spanning reads: on the bulk path, the chunk a read ends in (a full chunk, 65537 bytes, is
    // larger than a 64 KiB 'data' read; a borrowed read of 256 KiB ends in one too). It joins into
    // a reused scratch buffer rather than a fresh one, for bulk throughput (bench/bulk-loopback.ts).
    const out = scratch && scratch.length >= n ? scratch.subarray(0, n) : Buffer.allocUnsafe(n);
    this.moveInto(out, n);
    return out;
  }

  /** Removes the first `n` bytes into `out` from its start, across every held buffer they span. */
  private moveInto(out: Uint8Array, n: number): void {
    let filled = 0;
    while (filled < n) {
      const head = this.first!;
      const avail = head.length - this.offset;
      const count = Math.min(avail, n - filled);
      head.copy(out, filled, this.offset, this.offset + count);
      filled += count;
      this.consume(count, avail);
    }
  }

  /** Removes the first `n` bytes (the caller checks `length >= n`). */
  skip(n: number): void {
    if (n > this.length) throw new RangeError(`ByteQueue.skip(${n}) with ${this.length} bytes held`);
    while (n > 0) {
      const available = this.first!.length - this.offset;
      const count = Math.min(available, n);
      this.consume(count, available);
      n -= count;
    }
  }

  /**
   * Removes the first `target.length` bytes into `target` (the caller checks `length`): a copy
   * for a few bytes kept apart (a chunk's tag), where a view would be an allocation.
   */
  takeInto(target: Uint8Array): void {
    const n = target.length;
    if (n > this.length) throw new RangeError(`ByteQueue.takeInto(${n} bytes) with ${this.length} bytes held`);
    if (n === 0) return; // there may be no front buffer to look at (as `take`)
    const front = this.first!;
    const start = this.offset;
    const held = front.length - start;
    if (n <= held) {
      // The rule: the bytes lie in the front buffer (a tag inside a read of whole chunks).
      for (let i = 0; i < n; i++) target[i] = front[start + i]!;
      this.consume(n, held);
      return;
    }
    this.moveInto(target, n);
  }

  /**
   * Replaces every held bytes that lie in the thread's read buffer (borrowed-reads.ts) with a copy
   * of its own: called before a borrowed read's callback returns. The length is unchanged, so
   * whatever charges these bytes (the pending-message budget) still does. Few buffers are held:
   * a partial chunk, or one read's unframed rest.
   */
  ownBorrowed(): void {
    if (this.first !== undefined && isBorrowed(this.first)) {
      this.first = Buffer.from(this.first.subarray(this.offset));
      this.offset = 0;
    }
    const rest = this.rest;
    if (rest === undefined) return;
    for (let i = this.restHead; i < rest.length; i++) {
      const held = rest[i]!;
      if (isBorrowed(held)) rest[i] = Buffer.from(held);
    }
  }

  /** Drops everything (on teardown) so the memory can be reclaimed. */
  clear(): void {
    this.first = undefined;
    this.tail = undefined;
    this.rest = undefined;
    this.restHead = 0;
    this.offset = 0;
    this.length = 0;
  }

  private consume(n: number, available: number): void {
    this.length -= n;
    if (n === available) {
      this.first = this.nextOfRest();
      this.offset = 0;
    } else {
      this.offset += n;
    }
  }

  /** Moves the next held buffer out of `rest`; the array is emptied (its store released) once read through. */
  private nextOfRest(): Buffer | undefined {
    const rest = this.rest;
    if (rest === undefined || this.restHead >= rest.length) return undefined;
    const next = rest[this.restHead];
    rest[this.restHead++] = undefined;
    if (this.restHead === rest.length) {
      rest.length = 0;
      this.restHead = 0;
    } else if (this.restHead > 1024 && this.restHead * 2 > rest.length) {
      // Never read through (a steady stream keeps buffers behind the front): drop the read part.
      rest.splice(0, this.restHead);
      this.restHead = 0;
    }
    return next;
  }
}
