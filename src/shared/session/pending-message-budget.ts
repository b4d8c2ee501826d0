/**
 * The pool-wide budget for bytes of messages still arriving (docs/security.md): every session
 * charges the memory its unfinished message holds (the body buffer and the received bytes of a
 * chunk not complete yet) and takes it back when the message completes or the connection ends.
 * The counts live in a SharedArrayBuffer, so the main thread and every shard see one number
 * (architecture.md §2); each thread attaches its own handle to it.
 *
 * A session asks `room` before it grows: it may hold its fair share, the limit divided among the
 * sessions holding bytes and one more, and beyond that only while a quarter of the budget stays
 * free, so one connection alone holds at most three quarters and a newcomer always finds room.
 * A session without room stops reading (TCP pushes back on its peer) and waits here.
 */

/** Default `maxPendingMessageBytes`: 64 MiB for the whole pool. */
export const DEFAULT_MAX_PENDING_MESSAGE_BYTES = 64 * 1024 * 1024;

/** How often waiting sessions look at the shared count. A poll, because other threads free bytes. */
const WAIT_POLL_MS = 20;

/** The part of the budget a session beyond its fair share must leave free for others. */
const RESERVE_DIVISOR = 4;

const LIMIT = 0;
/**
 * Two counts per thread that charges (0: main, then one per shard), each summed when read: the
 * bytes its sessions hold, then how many of its sessions hold any. A shard that dies cannot give
 * its sessions' bytes back, so main clears that thread's counts once the worker has exited (a
 * single shared count would keep a killed shard's bytes charged for good:
 * test/pending-budget-shard-death.test.ts).
 */
const FIRST_COUNT = 1;

export class PendingMessageBudget {
  /** Share this with other threads; `PendingMessageBudget.attach` it there. */
  readonly buffer: SharedArrayBuffer;
  private readonly cells: BigInt64Array;
  /** Threads with counts: bytes at FIRST_COUNT + thread, holders at FIRST_COUNT + threads + thread. */
  private readonly threads: number;
  /** The byte count this handle adds to. */
  private readonly own: number;
  private readonly waiters = new Set<() => void>();
  private poller: NodeJS.Timeout | undefined;

  /** @param threads how many threads charge the budget (main and each shard) */
  constructor(limit: number = DEFAULT_MAX_PENDING_MESSAGE_BYTES, threads = 1, buffer?: SharedArrayBuffer, thread = 0) {
    this.buffer = buffer ?? new SharedArrayBuffer((FIRST_COUNT + 2 * Math.max(1, threads)) * BigInt64Array.BYTES_PER_ELEMENT);
    this.cells = new BigInt64Array(this.buffer);
    this.threads = (this.cells.length - FIRST_COUNT) >> 1;
    if (!Number.isInteger(thread) || thread < 0 || thread >= this.threads) throw new RangeError(`no count for thread ${thread}`);
    this.own = FIRST_COUNT + thread;
    if (!buffer) {
      if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`maxPendingMessageBytes must be a non-negative integer, got ${limit}`);
      Atomics.store(this.cells, LIMIT, BigInt(limit));
    }
  }

  /** Thread `thread`'s handle on the same budget (a shard `i` is thread `i + 1`). */
  static attach(buffer: SharedArrayBuffer, thread: number): PendingMessageBudget {
    return new PendingMessageBudget(0, 0, buffer, thread);
  }

  get limit(): number {
    return Number(Atomics.load(this.cells, LIMIT));
  }

  /** Bytes held by unfinished messages, all threads together. */
  get used(): number {
    return this.sum(FIRST_COUNT);
  }

  /** Sessions holding bytes of an unfinished message, all threads together. */
  get holders(): number {
    return this.sum(FIRST_COUNT + this.threads);
  }

  /**
   * Bytes a session holding `held` (already charged) may add: its fair share (the limit over the
   * other holders, itself and one more) and, beyond it, what leaves a quarter of the limit free;
   * never past the limit.
   */
  room(held: number): number {
    const limit = this.limit;
    const free = limit - this.used;
    const others = this.holders - (held > 0 ? 1 : 0);
    const withinShare = Math.floor(limit / (others + 2)) - held;
    const beyondShare = free - Math.floor(limit / RESERVE_DIVISOR);
    return Math.max(0, Math.min(free, Math.max(withinShare, beyondShare)));
  }

  /** Changes this session's charge from `before` to `after` bytes, on this handle's thread. */
  charge(before: number, after: number): void {
    if (after === before) return;
    Atomics.add(this.cells, this.own, BigInt(after - before));
    if ((before > 0) !== (after > 0)) Atomics.add(this.cells, this.own + this.threads, after > 0 ? 1n : -1n);
  }

  /** Drops everything `thread` charged: only once that thread is gone (its worker exited). */
  clearThread(thread: number): void {
    Atomics.store(this.cells, FIRST_COUNT + thread, 0n);
    Atomics.store(this.cells, FIRST_COUNT + this.threads + thread, 0n);
  }

  /**
   * Calls `check` at the next poll (soon, not at once): the session looks at its room again and,
   * still short of it, waits anew (behind the others: each waiter gets its turn).
   */
  waitForRoom(check: () => void): void {
    this.waiters.add(check);
    this.poller ??= setInterval(() => this.poll(), WAIT_POLL_MS).unref();
  }

  cancelWait(check: () => void): void {
    this.waiters.delete(check);
    if (this.waiters.size === 0) this.stopPolling();
  }

  private poll(): void {
    const ready = [...this.waiters];
    this.waiters.clear();
    for (const check of ready) check();
    if (this.waiters.size === 0) this.stopPolling();
  }

  private stopPolling(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
  }

  private sum(from: number): number {
    let sum = 0n;
    for (let i = from; i < from + this.threads; i++) sum += Atomics.load(this.cells, i);
    return Number(sum);
  }
}

/** What a shard needs to join its pool's budget (passed in workerData). */
export interface PendingMessagesConfig {
  readonly budget: SharedArrayBuffer;
  /** See SessionLimits.messageTimeout. */
  readonly messageTimeout: number;
}
