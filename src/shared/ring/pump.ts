/**
 * Drives a `RingConsumer` from an event loop: the consumer half of the doorbell protocol, so the
 * shard host and the main-thread shard handle do not each re-implement it.
 *
 * - `wake()` is what a doorbell message calls. The pump reads in batches of `budget` records;
 *   while records keep coming it yields with `setImmediate` between batches (sockets, timers
 *   and messages of the same thread get their turn) without going to sleep, so the producer
 *   posts no wake-ups meanwhile.
 * - When the ring is empty it declares itself asleep (`prepareToSleep`), which re-checks the
 *   ring, and then waits for the next `wake()`.
 * - After every batch it asks `needsSpaceSignal()` and calls `onSpace` when a producer waiting
 *   on a full ring now has room — also when `visit` threw: the records up to the throwing one
 *   count as read, and a producer waiting for that space must hear of it.
 * - A throwing `visit` never escapes: the error goes to `onError` and draining goes on.
 */
import type { RecordVisitor, RingConsumer } from './record-ring.ts';

export interface ConsumerPumpOptions {
  /** Called for each record, in order. The payload is only valid during the call (copy it). */
  readonly visit: RecordVisitor;
  /** Tell the producer that space was freed (post it a message). */
  readonly onSpace: () => void;
  /** What `visit` threw (default: dropped; the record it threw on counts as read). */
  readonly onError?: (error: unknown) => void;
  /** Records per event-loop turn before yielding (default 1024). */
  readonly budget?: number;
}

const DEFAULT_BUDGET = 1024;

export class ConsumerPump {
  readonly #consumer: RingConsumer;
  readonly #visit: RecordVisitor;
  readonly #onSpace: () => void;
  readonly #onError: (error: unknown) => void;
  readonly #budget: number;
  /** A turn is running or scheduled: a wake-up now is redundant. */
  #active = false;
  /** Records delivered so far. */
  #records = 0;
  /** Times the pump went to sleep (each costs the producer one wake-up message). */
  #sleeps = 0;

  constructor(consumer: RingConsumer, options: ConsumerPumpOptions) {
    const budget = options.budget ?? DEFAULT_BUDGET;
    if (!Number.isInteger(budget) || budget < 1) throw new TypeError(`budget must be a whole number ≥ 1, got ${String(budget)}`);
    this.#consumer = consumer;
    this.#visit = options.visit;
    this.#onSpace = options.onSpace;
    this.#onError = options.onError ?? (() => undefined);
    this.#budget = budget;
  }

  get records(): number {
    return this.#records;
  }

  get sleeps(): number {
    return this.#sleeps;
  }

  /** Doorbell: start draining (no-op while a turn is running or scheduled). */
  wake(): void {
    if (this.#active) return;
    this.#active = true;
    this.#turn();
  }

  readonly #turn = (): void => {
    const consumer = this.#consumer;
    let done = 0;
    let finished = false;
    try {
      for (;;) {
        let n: number;
        try {
          n = consumer.read(this.#visit, this.#budget - done);
        } catch (error) {
          n = 1; // at least the record `visit` threw on was consumed
          this.#onError(error);
        }
        done += n;
        if (n > 0 && consumer.needsSpaceSignal()) this.#onSpace();
        if (done >= this.#budget) break;
        if (n === 0 && consumer.prepareToSleep()) {
          this.#sleeps++;
          finished = true;
          break;
        }
      }
    } finally {
      this.#records += done;
      // Also if `onError` or `onSpace` threw: keep draining in a later turn rather than stall awake forever.
      if (finished) this.#active = false;
      else setImmediate(this.#turn);
    }
  };
}
