/**
 * A FIFO of received bytes that hands out exact-length slices without copying when a slice lies
 * inside one received buffer (the common case: a whole chunk in one TCP read).
 */
const EMPTY = Buffer.alloc(0);

export class ByteQueue {
  /**
   * Held buffers are `buffers[head..tail)`; slots outside are undefined. Read with an index, not
   * `shift()`: V8 trims a shifted array's store from the front, so the next `push` reallocated it,
   * ~100 B of garbage per received chunk on the echo path (bench/echo-path.ts).
   */
  private readonly buffers: Array<Buffer | undefined> = [];
  private head = 0;
  private tail = 0;
  /** Read offset into `buffers[head]`. */
  private offset = 0;
  /** Bytes held. */
  length = 0;

  push(data: Buffer): void {
    if (data.length === 0) return;
    if (this.tail === this.buffers.length && this.head > 0) this.compact();
    this.buffers[this.tail++] = data;
    this.length += data.length;
  }

  /** The u16 BE at the front; the caller checks `length >= 2`. */
  peekUInt16BE(): number {
    if (this.length < 2) throw new RangeError(`ByteQueue.peekUInt16BE with ${this.length} bytes held`);
    const first = this.buffers[this.head]!;
    if (first.length - this.offset >= 2) return first.readUInt16BE(this.offset);
    return (first[this.offset]! << 8) | this.buffers[this.head + 1]![0]!;
  }

  /**
   * Removes and returns the first `n` bytes (the caller checks `length >= n`). The result is a
   * view when it lies in one received buffer, else a copy (into `scratch` when given: then it is
   * only valid until the next call). Either way the caller owns the bytes (nobody else reads
   * received buffers), so in-place decryption is safe.
   */
  take(n: number, scratch?: Buffer): Buffer {
    // Zero bytes is a real request (a peer may announce an empty field, issue 11's `00 00`) and
    // may come when nothing is buffered: there is no first buffer to look at then.
    if (n === 0) return EMPTY;
    if (n > this.length) throw new RangeError(`ByteQueue.take(${n}) with ${this.length} bytes held`);
    const first = this.buffers[this.head]!;
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
    // Spanning reads: a full chunk (65537 bytes) is larger than one 64 KiB socket read, so this is
    // the bulk path. Joining into a reused scratch buffer instead of a fresh one was +15% bulk
    // throughput (bench/bulk-loopback.ts: 540 → 620 MB/s).
    const out = scratch && scratch.length >= n ? scratch.subarray(0, n) : Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const head = this.buffers[this.head]!;
      const avail = head.length - this.offset;
      const count = Math.min(avail, n - filled);
      head.copy(out, filled, this.offset, this.offset + count);
      filled += count;
      this.consume(count, avail);
    }
    return out;
  }

  /** Drops everything (on teardown) so the memory can be reclaimed. */
  clear(): void {
    this.buffers.length = 0;
    this.head = 0;
    this.tail = 0;
    this.offset = 0;
    this.length = 0;
  }

  private consume(n: number, available: number): void {
    this.length -= n;
    if (n === available) {
      this.buffers[this.head++] = undefined;
      this.offset = 0;
      if (this.head === this.tail) this.head = this.tail = 0;
    } else {
      this.offset += n;
    }
  }

  /** Moves the held buffers to the front, so `push` reuses the slots already read. */
  private compact(): void {
    const held = this.tail - this.head;
    for (let i = 0; i < held; i++) {
      this.buffers[i] = this.buffers[this.head + i];
      this.buffers[this.head + i] = undefined;
    }
    this.head = 0;
    this.tail = held;
  }
}
