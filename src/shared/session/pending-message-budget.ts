/**
 * The pool-wide budget for bytes of messages still arriving (docs/security.md): every session adds the
 * memory its unfinished message holds and takes it back when the message completes or the
 * connection ends. The count lives in a SharedArrayBuffer, so the main thread and every shard
 * see one number (architecture.md §2); each thread attaches its own handle to it.
 *
 * Past the limit, sessions holding a large unfinished message stop reading (TCP pushes back on
 * their peers) and wait here until the count is back under the limit. Without it, 5 peers each
 * trickling a 100 MiB message grew the server's RSS by 12.5 MiB/s for as long as they went on.
 */

/** Default `maxPendingMessageBytes`: 64 MiB for the whole pool. */
export const DEFAULT_MAX_PENDING_MESSAGE_BYTES = 64 * 1024 * 1024;

/** How often waiting sessions look at the shared count. A poll, because other threads free bytes. */
const WAIT_POLL_MS = 20;

const LIMIT = 0;
/**
 * One count per thread that charges (0: main, then one per shard), summed when read: a shard that
 * dies cannot give its sessions' bytes back, so main clears that thread's count once the worker
 * has exited (a single shared count would keep a killed shard's bytes charged for good:
 * test/pending-budget-shard-death.test.ts).
 */
const FIRST_COUNT = 1;

export class PendingMessageBudget {
  /** Share this with other threads; `PendingMessageBudget.attach` it there. */
  readonly buffer: SharedArrayBuffer;
  private readonly cells: BigInt64Array;
  /** The count this handle adds to. */
  private readonly own: number;
  private readonly waiters = new Set<() => void>();
  private poller: NodeJS.Timeout | undefined;

  /** @param threads how many threads charge the budget (main and each shard) */
  constructor(limit: number = DEFAULT_MAX_PENDING_MESSAGE_BYTES, threads = 1, buffer?: SharedArrayBuffer, thread = 0) {
    this.buffer = buffer ?? new SharedArrayBuffer((FIRST_COUNT + Math.max(1, threads)) * BigInt64Array.BYTES_PER_ELEMENT);
    this.cells = new BigInt64Array(this.buffer);
    if (!Number.isInteger(thread) || thread < 0 || FIRST_COUNT + thread >= this.cells.length) throw new RangeError(`no count for thread ${thread}`);
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
    let sum = 0n;
    for (let i = FIRST_COUNT; i < this.cells.length; i++) sum += Atomics.load(this.cells, i);
    return Number(sum);
  }

  get exhausted(): boolean {
    return this.used > this.limit;
  }

  /** Adds (or, negative, takes back) `bytes`, on this handle's thread. */
  add(bytes: number): void {
    if (bytes !== 0) Atomics.add(this.cells, this.own, BigInt(bytes));
  }

  /** Drops everything `thread` charged: only once that thread is gone (its worker exited). */
  clearThread(thread: number): void {
    Atomics.store(this.cells, FIRST_COUNT + thread, 0n);
  }

  /** Calls `resume` once the count is back under the limit (soon, not at once). */
  waitForRoom(resume: () => void): void {
    this.waiters.add(resume);
    this.poller ??= setInterval(() => this.poll(), WAIT_POLL_MS).unref();
  }

  cancelWait(resume: () => void): void {
    this.waiters.delete(resume);
    if (this.waiters.size === 0) this.stopPolling();
  }

  private poll(): void {
    if (this.exhausted) return;
    const ready = [...this.waiters];
    this.waiters.clear();
    this.stopPolling();
    // Each may take bytes again and stop the rest; those then wait anew.
    for (const resume of ready) resume();
  }

  private stopPolling(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
  }
}

/** What a shard needs to join its pool's budget (passed in workerData). */
export interface PendingMessagesConfig {
  readonly budget: SharedArrayBuffer;
  /** See SessionLimits.messageTimeout. */
  readonly messageTimeout: number;
}
