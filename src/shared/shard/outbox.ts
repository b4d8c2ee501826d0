/**
 * The producer end of a ring, for a thread that must never block: records that do not fit wait
 * in an overflow queue (in order) until the consumer signals space, and one doorbell per event
 * loop turn wakes the consumer however many records were written (architecture.md §3: batch wake-ups).
 *
 * Buffers transferred to the other thread (large bodies, large layouts) leave at the same moment,
 * in the same message as the doorbell: one `postMessage` per turn carries every buffer of the turn
 * and the wake-up, instead of one per buffer plus the bell: a post per large body would cost each
 * side a message and wake main once per body.
 */
import { RingProducer } from '../ring/record-ring.ts';

/**
 * Posts the end of a turn to the consumer: `wake`, a doorbell is owed (it sleeps); `ids[i]` owns
 * `buffers[i]`, in order (transfer them). Called only when one of the two has something.
 */
export type Doorbell = (wake: boolean, ids: number[], buffers: ArrayBuffer[]) => void;

interface Pending {
  readonly id: number;
  readonly kind: number;
  readonly payload: Uint8Array;
}

export class Outbox {
  private readonly producer: RingProducer;
  private readonly ring: Doorbell;
  private readonly overflow: Pending[] = [];
  private readonly beforeBell: (() => void) | undefined;
  private transferIds: number[] = [];
  private transferBuffers: ArrayBuffer[] = [];
  private bellScheduled = false;
  private readonly flushBell = (): void => {
    this.beforeBell?.(); // its records join this turn's doorbell (no second one is scheduled meanwhile)
    this.bellScheduled = false;
    this.post(this.producer.needsWake());
  };

  /**
   * @param ring posts the turn's doorbell and transferred buffers to the consumer (one message)
   * @param beforeBell runs at the end of each turn that wrote, before the doorbell: a caller that
   *   batches records (body-batch.ts) sends what it holds here
   */
  constructor(buffer: SharedArrayBuffer, ring: Doorbell, beforeBell?: () => void) {
    this.producer = new RingProducer(buffer);
    this.ring = ring;
    this.beforeBell = beforeBell;
  }

  /** Largest payload one record carries; bigger data is cut by the caller. */
  get maxPayload(): number {
    return this.producer.maxRecordPayload;
  }

  /** Bytes of the ring the consumer has not read yet. */
  get usedBytes(): number {
    return this.producer.capacity - this.producer.freeBytes;
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

  /**
   * Removes connection `id`'s messages still waiting for ring space, each a run of `part` records
   * ended by an `end` record, all but the first (it may have begun in the ring). An immediate
   * close uses it: what has not reached the consumer is never written. Returns the messages removed.
   */
  discardWaiting(id: number, part: number, end: number): number {
    let passedFirst = false;
    let removed = 0;
    let kept = 0;
    for (const record of this.overflow) {
      const write = record.id === id && (record.kind === part || record.kind === end);
      if (write && passedFirst) {
        if (record.kind === end) removed++;
        continue;
      }
      if (write && record.kind === end) passedFirst = true;
      this.overflow[kept++] = record;
    }
    this.overflow.length = kept;
    return removed;
  }

  /**
   * Hands `buffer` to the consumer with this turn's doorbell. Its place among connection `id`'s
   * records is a record the caller sends (transfer-order.ts matches the two on the other side).
   */
  transfer(id: number, buffer: ArrayBuffer): void {
    this.transferIds.push(id);
    this.transferBuffers.push(buffer);
    this.scheduleBell();
  }

  private post(wake: boolean): void {
    if (this.transferIds.length === 0) {
      if (wake) this.ring(true, EMPTY_IDS, EMPTY_BUFFERS);
      return;
    }
    const ids = this.transferIds;
    const buffers = this.transferBuffers;
    this.transferIds = [];
    this.transferBuffers = [];
    this.ring(wake, ids, buffers);
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
    this.post(this.producer.needsWake());
    if (!this.producer.prepareToWaitForSpace(head.payload.length, this.producer.capacity >> 2)) {
      queueMicrotask(() => this.onSpace());
    }
  }

  /**
   * One doorbell per event-loop turn, after the poll phase: every socket that was readable in
   * this turn adds its records first, so small messages do not each cost a postMessage.
   */
  scheduleBell(): void {
    if (this.bellScheduled) return;
    this.bellScheduled = true;
    setImmediate(this.flushBell);
  }
}

const EMPTY = new Uint8Array(0);
const EMPTY_IDS: number[] = [];
const EMPTY_BUFFERS: ArrayBuffer[] = [];
