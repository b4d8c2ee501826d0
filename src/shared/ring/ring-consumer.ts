/** The reading end of a record ring: visits records in batches, sleeps, signals the producer space. */
import { CONSUMER_ASLEEP_OFFSET, DATA_OFFSET, PADDING_MARKER, RECORD_HEADER_BYTES, SPACE_WANTED_OFFSET, maxPayloadFor, recordBytes } from './layout.ts';
import { ASLEEP, attachRing, CONNECTION_WORD, KIND_HALF, LENGTH_WORD, READ_WORD, WRITE_WORD } from './ring-buffer.ts';
import { SignalFlag } from './signal.ts';

/**
 * Receives one record. `payload` is a view into the shared ring, valid only during the call:
 * the producer reuses the bytes once the batch ends, so copy (`payload.slice()`) anything you
 * keep, including views a decoder returns (msgpackr binary fields are such views).
 */
export type RecordVisitor = (connectionId: number, kind: number, payload: Uint8Array) => void;

/** The ring's reading end. One per ring, used from one thread. */
export class RingConsumer {
  /** Data area size in bytes. */
  readonly capacity: number;

  readonly #words: Int32Array;
  readonly #u32: Uint32Array;
  readonly #u16: Uint16Array;
  readonly #buffer: SharedArrayBuffer;
  readonly #mask: number;
  readonly #maxPayload: number;
  readonly #asleep: SignalFlag;
  readonly #spaceWanted: SignalFlag;
  /** Our own read index (only we store it). */
  #read: number;
  /** Last write index loaded; re-loaded only once we have caught up with it. */
  #writeSeen: number;
  #reading = false;

  constructor(buffer: SharedArrayBuffer) {
    this.capacity = attachRing(buffer);
    this.#buffer = buffer;
    this.#words = new Int32Array(buffer, 0, DATA_OFFSET >> 2);
    this.#u32 = new Uint32Array(buffer, DATA_OFFSET, this.capacity >> 2);
    this.#u16 = new Uint16Array(buffer, DATA_OFFSET, this.capacity >> 1);
    this.#mask = this.capacity - 1;
    this.#maxPayload = maxPayloadFor(this.capacity);
    this.#asleep = new SignalFlag(buffer, CONSUMER_ASLEEP_OFFSET);
    this.#spaceWanted = new SignalFlag(buffer, SPACE_WANTED_OFFSET);
    this.#read = Atomics.load(this.#words, READ_WORD);
    this.#writeSeen = Atomics.load(this.#words, WRITE_WORD);
  }

  /** Whether no record is waiting (loads the producer's write index). */
  get isEmpty(): boolean {
    this.#writeSeen = Atomics.load(this.#words, WRITE_WORD);
    return this.#writeSeen === this.#read;
  }

  /** Bytes in use: records waiting, padding included. */
  get usedBytes(): number {
    this.#writeSeen = Atomics.load(this.#words, WRITE_WORD);
    return (this.#writeSeen - this.#read) | 0;
  }

  /**
   * Visits up to `maxRecords` records in order, then releases their bytes to the producer (one
   * `Atomics.store`). Returns the number visited (0 when empty). Records published while the
   * batch runs are part of it. The `payload` views die when the batch ends (`RecordVisitor`).
   *
   * If `visit` throws, the records before it and the one it threw on count as read (a record
   * that makes its handler throw must not be delivered forever) and the error propagates.
   * Calling `read` from inside `visit` throws.
   */
  read(visit: RecordVisitor, maxRecords = Number.MAX_SAFE_INTEGER): number {
    if (this.#reading) throw new Error('RingConsumer.read is not reentrant');
    let read = this.#read;
    let write = this.#writeSeen;
    if (write === read) {
      write = this.#writeSeen = Atomics.load(this.#words, WRITE_WORD);
      if (write === read) return 0;
    }
    const u32 = this.#u32;
    const mask = this.#mask;
    let count = 0;
    this.#reading = true;
    try {
      while (count < maxRecords) {
        if (write === read) {
          write = this.#writeSeen = Atomics.load(this.#words, WRITE_WORD);
          if (write === read) break;
        }
        const at = read & mask;
        const word = at >> 2;
        const length = u32[word + LENGTH_WORD]!;
        if (length === PADDING_MARKER) {
          read = (read + this.capacity - at) | 0;
          continue;
        }
        if (length > this.#maxPayload) throw new Error(`ring corrupted: record length ${length} at position ${at}`);
        const connectionId = u32[word + CONNECTION_WORD]!;
        const kind = this.#u16[(at >> 1) + KIND_HALF]!;
        read = (read + recordBytes(length)) | 0;
        count++;
        visit(connectionId, kind, new Uint8Array(this.#buffer, DATA_OFFSET + at + RECORD_HEADER_BYTES, length));
      }
    } finally {
      this.#reading = false;
      if (read !== this.#read) {
        this.#read = read;
        Atomics.store(this.#words, READ_WORD, read);
      }
    }
    return count;
  }

  /**
   * Call when `read` found nothing and the thread is about to go idle. Declares the consumer
   * asleep, then re-checks the ring. Returns `true` if it is empty: sleep, the producer's
   * `needsWake()` will answer `true` and a wake-up will come. Returns `false` if records arrived
   * meanwhile: the declaration is withdrawn, keep reading (a wake-up may still arrive; ignore it).
   */
  prepareToSleep(): boolean {
    this.#asleep.arm(ASLEEP);
    if (!this.isEmpty) {
      this.#asleep.disarm();
      return false;
    }
    return true;
  }

  /**
   * After `prepareToSleep()` returned `true`: resolves when the producer claims the flag (an
   * alternative to a wake-up message; the producer's `needsWake` also `Atomics.notify`s), at
   * once if it already did.
   */
  sleepAsync(timeoutMs = Infinity): Promise<'ok' | 'not-equal' | 'timed-out'> {
    return this.#asleep.waitAsync(ASLEEP, timeoutMs);
  }

  /**
   * Call after `read`: `true` when the producer is waiting for space and now has the room it
   * asked for — the caller then posts it one space message. `true` once per producer wait.
   */
  needsSpaceSignal(): boolean {
    const wanted = this.#spaceWanted.value;
    if (wanted === 0) return false;
    const free = this.capacity - ((Atomics.load(this.#words, WRITE_WORD) - this.#read) | 0);
    return free >= wanted && this.#spaceWanted.claim(wanted);
  }
}
