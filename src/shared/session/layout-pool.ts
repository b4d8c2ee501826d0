/**
 * Outgoing layouts the library made for itself, kept for reuse once the socket is done with
 * them: one small pool per thread (architecture.md §3, "Pooled layouts").
 *
 * Without it a bulk sender allocates a fresh 64 KiB layout per message, and that garbage, not
 * the crypto, sets its pace: V8 runs a full mark-compact every ~80 MB of new buffer memory
 * (bench/send-path.ts measures it). A layout goes back here only once nothing uses it: from the
 * socket's write callback, after the kernel has copied it (transport.ts); once copied into a
 * ring (ring-link.ts); or refused by `writeNow` (connection.ts). Only layouts made by `encode…`
 * for `write`/`writeNow`/`writeSync`, a broadcast's sealed copies and a shard's copies out of its
 * ring come back: never an `EncodedMessage` the application holds.
 *
 * Each buffer is the whole of its own `ArrayBuffer`, sized exactly: one of them can still cross
 * to a shard as a transferred buffer (it then simply leaves this pool). Free buffers are kept
 * per exact size, since a bulk stream repeats one size; the pool holds at most `POOL_CAPACITY`
 * bytes from one event-loop turn to the next and gives the oldest sizes up first.
 *
 * Within a turn it may hold more (up to `TURN_CAPACITY`): a socket that drains hands back every
 * layout the kernel took in one go (30-60 of 64 KiB on loopback) before the writers it lets in
 * encode their next ones, so a pool that dropped what exceeds 2 MiB at once would miss about
 * half of those. The excess is dropped at the end of the turn; those buffers were alive anyway
 * (the collector had not run yet), so the overshoot costs no memory that was not in flight.
 */

/** Layouts up to this size come from Node's shared buffer pool, cheaper still (encoded-message.ts). */
export const SMALL_LAYOUT_MAX = 4096;
/** Bytes of free layouts one thread keeps at most. */
export const POOL_CAPACITY = 2 * 1024 * 1024;
/** Bytes of free layouts one thread keeps at most within one turn of the event loop. */
export const TURN_CAPACITY = 8 * POOL_CAPACITY;
/** Larger layouts are not kept: a few of them would fill the pool. */
export const POOLED_LAYOUT_MAX = 256 * 1024;

export class LayoutPool {
  /** Free buffers by exact size, in the order their sizes were first kept. */
  private readonly free = new Map<number, Buffer[]>();
  private freeBytes = 0;
  private readonly capacity: number;
  private readonly turnCapacity: number;
  private trimScheduled = false;

  constructor(capacity = POOL_CAPACITY, turnCapacity = TURN_CAPACITY) {
    this.capacity = capacity;
    this.turnCapacity = turnCapacity;
  }

  /** True for sizes this pool deals in: its layouts are unpooled by Node, and not too large. */
  static keeps(size: number): boolean {
    return size > SMALL_LAYOUT_MAX && size <= POOLED_LAYOUT_MAX;
  }

  /** A buffer of exactly `size` bytes (contents undefined), reused when one is free. */
  take(size: number): Buffer {
    const list = this.free.get(size);
    const reused = list?.pop();
    if (reused) {
      this.freeBytes -= size;
      return reused;
    }
    return Buffer.allocUnsafeSlow(size);
  }

  /** A copy of `bytes`, in a buffer of this pool when `keeps` its size, else a plain one. */
  copy(bytes: Uint8Array): Buffer {
    if (!LayoutPool.keeps(bytes.length)) return Buffer.from(bytes);
    const out = this.take(bytes.length);
    out.set(bytes);
    return out;
  }

  /**
   * Keeps `buffer` for a later `take`; the caller gives up every reference to it. A buffer that
   * is not the whole of its own memory (or was transferred away) is left to the collector.
   */
  give(buffer: Buffer): void {
    const size = buffer.length;
    if (!LayoutPool.keeps(size) || buffer.byteOffset !== 0 || buffer.buffer.byteLength !== size) return;
    if (this.freeBytes + size > this.turnCapacity) this.evict(this.freeBytes + size - this.turnCapacity, size);
    if (this.freeBytes + size > this.turnCapacity) return;
    if (this.freeBytes + size > this.capacity && !this.trimScheduled) {
      this.trimScheduled = true;
      setImmediate(trimPool, this).unref();
    }
    let list = this.free.get(size);
    if (!list) {
      list = [];
      this.free.set(size, list);
    }
    list.push(buffer);
    this.freeBytes += size;
  }

  /** Bytes of free buffers held (for tests and stats). */
  get heldBytes(): number {
    return this.freeBytes;
  }

  /** End of the turn: back within `capacity`, oldest sizes first. */
  trim(): void {
    this.trimScheduled = false;
    if (this.freeBytes > this.capacity) this.evict(this.freeBytes - this.capacity, -1);
  }

  /** Frees at least `bytes`, oldest sizes first, other sizes than `keep` before it. */
  private evict(bytes: number, keep: number): void {
    for (const pass of [false, true]) {
      for (const [size, list] of this.free) {
        if ((size === keep) !== pass) continue;
        while (bytes > 0 && list.length > 0) {
          list.pop();
          this.freeBytes -= size;
          bytes -= size;
        }
        if (list.length === 0) this.free.delete(size);
        if (bytes <= 0) return;
      }
    }
  }
}

function trimPool(pool: LayoutPool): void {
  pool.trim();
}

/** This thread's pool: main's for inline connections, each shard's for its own. */
export const layoutPool = new LayoutPool();
