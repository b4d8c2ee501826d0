/**
 * The pool-wide budget for bytes of messages still arriving (issue 11): every session adds the
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

const USED = 0;
const LIMIT = 1;

export class PendingMessageBudget {
  /** Share this with other threads; `PendingMessageBudget.attach` it there. */
  readonly buffer: SharedArrayBuffer;
  private readonly cells: BigInt64Array;
  private readonly waiters = new Set<() => void>();
  private poller: NodeJS.Timeout | undefined;

  constructor(limit: number = DEFAULT_MAX_PENDING_MESSAGE_BYTES, buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(2 * BigInt64Array.BYTES_PER_ELEMENT);
    this.cells = new BigInt64Array(this.buffer);
    if (!buffer) {
      if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`maxPendingMessageBytes must be a non-negative integer, got ${limit}`);
      Atomics.store(this.cells, LIMIT, BigInt(limit));
    }
  }

  /** Another thread's handle on the same count. */
  static attach(buffer: SharedArrayBuffer): PendingMessageBudget {
    return new PendingMessageBudget(0, buffer);
  }

  get limit(): number {
    return Number(Atomics.load(this.cells, LIMIT));
  }

  /** Bytes held by unfinished messages, all threads together. */
  get used(): number {
    return Number(Atomics.load(this.cells, USED));
  }

  get exhausted(): boolean {
    return Atomics.load(this.cells, USED) > Atomics.load(this.cells, LIMIT);
  }

  /** Adds (or, negative, takes back) `bytes`. */
  add(bytes: number): void {
    if (bytes !== 0) Atomics.add(this.cells, USED, BigInt(bytes));
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
