/**
 * The producer end of a ring, for a thread that must never block: records that do not fit wait
 * in an overflow queue (in order) until the consumer signals space, and one doorbell per event
 * loop turn wakes the consumer however many records were written (architecture.md §3: batch wake-ups).
 */
import { RingProducer } from '../ring/record-ring.ts';

interface Pending {
  readonly id: number;
  readonly kind: number;
  readonly payload: Uint8Array;
}

export class Outbox {
  private readonly producer: RingProducer;
  private readonly ring: () => void;
  private readonly overflow: Pending[] = [];
  private readonly beforeBell: (() => void) | undefined;
  private bellScheduled = false;
  private readonly flushBell = (): void => {
    this.beforeBell?.(); // its records join this turn's doorbell (no second one is scheduled meanwhile)
    this.bellScheduled = false;
    if (this.producer.needsWake()) this.ring();
  };

  /**
   * @param ring posts one wake-up message to the consumer
   * @param beforeBell runs at the end of each turn that wrote, before the doorbell: a caller that
   *   batches records (body-batch.ts) sends what it holds here
   */
  constructor(buffer: SharedArrayBuffer, ring: () => void, beforeBell?: () => void) {
    this.producer = new RingProducer(buffer);
    this.ring = ring;
    this.beforeBell = beforeBell;
  }

  /** Largest payload one record carries; bigger data is cut by the caller. */
  get maxPayload(): number {
    return this.producer.maxRecordPayload;
  }

  /** Records waiting for ring space. */
  get backlog(): number {
    return this.overflow.length;
  }

  /** Queues a record; `payload` is copied now (into the ring or a private copy). */
  send(id: number, kind: number, payload: Uint8Array = EMPTY): void {
    if (this.overflow.length > 0 || !this.producer.tryWrite(id, kind, payload)) {
      this.overflow.push({ id, kind, payload: Uint8Array.prototype.slice.call(payload) });
      this.waitForSpace();
    }
    this.scheduleBell();
  }

  /** The consumer freed space: move the backlog into the ring. */
  onSpace(): void {
    let moved = 0;
    while (moved < this.overflow.length) {
      const next = this.overflow[moved]!;
      if (!this.producer.tryWrite(next.id, next.kind, next.payload)) break;
      moved++;
    }
    if (moved > 0) this.overflow.splice(0, moved);
    if (this.overflow.length > 0) this.waitForSpace();
    this.scheduleBell();
  }

  private waitForSpace(): void {
    const head = this.overflow[0]!;
    // Ring the doorbell first: a sleeping consumer would never free the space we wait for.
    if (this.producer.needsWake()) this.ring();
    if (!this.producer.prepareToWaitForSpace(head.payload.length, this.producer.capacity >> 2)) {
      queueMicrotask(() => this.onSpace());
    }
  }

  /**
   * One doorbell per event-loop turn, after the poll phase: every socket that was readable in
   * this turn adds its records first. (Per microtask it was one postMessage per small message,
   * 18–28% of a shard's time in bench:load W2.)
   */
  scheduleBell(): void {
    if (this.bellScheduled) return;
    this.bellScheduled = true;
    setImmediate(this.flushBell);
  }
}

const EMPTY = new Uint8Array(0);
