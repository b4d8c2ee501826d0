/** The writing end of a record ring: appends records, reserves room to fill in place, rings the doorbell. */
import {
  CONSUMER_ASLEEP_OFFSET,
  DATA_OFFSET,
  MAX_CONNECTION_ID,
  MAX_KIND,
  PADDING_MARKER,
  RECORD_HEADER_BYTES,
  SPACE_WANTED_OFFSET,
  maxPayloadFor,
  recordBytes,
} from './layout.ts';
import { ASLEEP, attachRing, CONNECTION_WORD, KIND_HALF, LENGTH_WORD, READ_WORD, RESERVED_HALF, WRITE_WORD } from './ring-buffer.ts';
import { SignalFlag } from './signal.ts';

function checkRecordFields(connectionId: number, kind: number): void {
  // `>>> 0` is the identity exactly on integers in [0, 2^32): cheap enough for the hot path.
  if (connectionId >>> 0 !== connectionId || connectionId > MAX_CONNECTION_ID) {
    throw new RangeError(`connection id must be a u32, got ${connectionId}`);
  }
  if (kind >>> 0 !== kind || kind > MAX_KIND) throw new RangeError(`record kind must be a u16, got ${kind}`);
}

/** The ring's writing end. One per ring, used from one thread. */
export class RingProducer {
  /** Data area size in bytes. */
  readonly capacity: number;
  /**
   * Largest payload `tryWrite`/`reserve` accept (capacity / 2 − 12). Larger ones throw
   * `RangeError`: they must travel another way (a transferred ArrayBuffer).
   */
  readonly maxRecordPayload: number;

  readonly #words: Int32Array;
  readonly #u32: Uint32Array;
  readonly #u16: Uint16Array;
  readonly #bytes: Uint8Array;
  readonly #buffer: SharedArrayBuffer;
  readonly #mask: number;
  readonly #asleep: SignalFlag;
  readonly #spaceWanted: SignalFlag;
  /** Our own write index (only we store it). */
  #write: number;
  /** Last read index loaded; re-loaded only when it looks too small, to spare atomic loads. */
  #readSeen: number;
  /** A reservation is open (`#begin` done, `#publish` not yet). */
  #reserved = false;
  /** Write index to publish on `commit`: the reservation's end. (Any int32, negative ones too.) */
  #reservedEnd = 0;
  /** Position of the reserved record's header, for `commit` with a shorter length. */
  #reservedAt = 0;
  #reservedLength = 0;
  /** Records were published since the last `needsWake()`. */
  #unannounced = false;
  /** The condition last armed by `prepareToWaitForSpace` (what `waitForSpaceAsync` waits on). */
  #spaceArmed = 0;

  constructor(buffer: SharedArrayBuffer) {
    this.capacity = attachRing(buffer);
    this.maxRecordPayload = maxPayloadFor(this.capacity);
    this.#buffer = buffer;
    this.#words = new Int32Array(buffer, 0, DATA_OFFSET >> 2);
    this.#u32 = new Uint32Array(buffer, DATA_OFFSET, this.capacity >> 2);
    this.#u16 = new Uint16Array(buffer, DATA_OFFSET, this.capacity >> 1);
    this.#bytes = new Uint8Array(buffer, DATA_OFFSET, this.capacity);
    this.#mask = this.capacity - 1;
    this.#asleep = new SignalFlag(buffer, CONSUMER_ASLEEP_OFFSET);
    this.#spaceWanted = new SignalFlag(buffer, SPACE_WANTED_OFFSET);
    this.#write = Atomics.load(this.#words, WRITE_WORD);
    this.#readSeen = Atomics.load(this.#words, READ_WORD);
  }

  /** Bytes not in use right now (a record of n payload bytes needs `recordBytes(n)`, maybe more at the wrap point). */
  get freeBytes(): number {
    this.#readSeen = Atomics.load(this.#words, READ_WORD);
    return this.capacity - ((this.#write - this.#readSeen) | 0);
  }

  /** Whether a record with `length` payload bytes would be accepted now. */
  canWrite(length: number): boolean {
    return length <= this.maxRecordPayload && this.#place(length) >= 0;
  }

  /**
   * Appends one record whose payload is `payload` (or the concatenation of the parts). Returns
   * `false`, writing nothing, when the ring lacks room; then wait for space (see
   * `prepareToWaitForSpace`) and retry. Throws `RangeError` for a payload over
   * `maxRecordPayload` or an invalid id or kind. After one or more writes, call `needsWake()`.
   */
  tryWrite(connectionId: number, kind: number, payload: Uint8Array | readonly Uint8Array[]): boolean {
    let length: number;
    if (payload instanceof Uint8Array) {
      length = payload.length;
    } else {
      length = 0;
      for (const part of payload) length += part.length;
    }
    const at = this.#begin(connectionId, kind, length);
    if (at < 0) return false;
    const start = at + RECORD_HEADER_BYTES;
    if (payload instanceof Uint8Array) {
      this.#bytes.set(payload, start);
    } else {
      let offset = start;
      for (const part of payload) {
        this.#bytes.set(part, offset);
        offset += part.length;
      }
    }
    this.#publish();
    return true;
  }

  /**
   * Zero-copy write: room for a record of `length` payload bytes, as a view of the ring to fill
   * (encrypt, copy, encode) in place, or `undefined` when the ring lacks room. Nothing is visible
   * to the consumer until `commit()`; `cancel()` drops the reservation. One reservation at a time;
   * `tryWrite` and `reserve` throw while one is open.
   */
  reserve(connectionId: number, kind: number, length: number): Uint8Array | undefined {
    if (!Number.isInteger(length) || length < 0) throw new RangeError(`record length must be a whole number, got ${length}`);
    const at = this.#begin(connectionId, kind, length);
    if (at < 0) return undefined;
    return new Uint8Array(this.#buffer, DATA_OFFSET + at + RECORD_HEADER_BYTES, length);
  }

  /**
   * Publishes the open reservation. `length` (default: as reserved) may be smaller than the
   * reserved length, for writers that learn the exact size while writing; the unused tail is
   * given back.
   */
  commit(length?: number): void {
    if (!this.#reserved) throw new Error('commit without a reservation');
    if (length !== undefined && length !== this.#reservedLength) {
      if (!Number.isInteger(length) || length < 0 || length > this.#reservedLength) {
        throw new RangeError(`commit length must be in [0, ${this.#reservedLength}], got ${length}`);
      }
      const at = this.#reservedAt;
      this.#u32[(at >> 2) + LENGTH_WORD] = length;
      this.#reservedEnd = (this.#reservedEnd - recordBytes(this.#reservedLength) + recordBytes(length)) | 0;
    }
    this.#publish();
  }

  /** Drops the open reservation (if any); the consumer never sees it. */
  cancel(): void {
    this.#reserved = false;
  }

  /**
   * Doorbell: `true` when records were published since the last call and the consumer is
   * asleep — the caller then posts one wake-up message. Call it after a write or a batch of
   * writes, before the thread goes idle (or waits for space). `true` at most once per consumer
   * sleep (this claims the flag), so a burst of records costs one message.
   *
   * Why not "the ring went from empty to non-empty": that test races with a consumer that has
   * read everything but not yet published its read index (each side sees the other as busy and
   * the wake-up is lost), and it rings needlessly for a consumer that is awake and polling. The
   * asleep flag is exactly what the consumer waits on.
   */
  needsWake(): boolean {
    // Only what was published since the last call can be owed a wake-up: anything older was
    // either announced already or seen by the consumer's re-check before it slept.
    if (!this.#unannounced) return false;
    this.#unannounced = false;
    return this.#asleep.claim(ASLEEP);
  }

  /**
   * Call when a write of `length` payload bytes failed. Announces to the consumer that we wait
   * until the record fits plus `extraBytes` (hysteresis: wait for more room than one record, so
   * the ring does not ping-pong a signal per record), then re-checks. Returns `true` if the
   * caller must wait for the consumer's space signal (it comes as a message, or resolve
   * `waitForSpaceAsync`), `false` if the record fits now (write again).
   *
   * Ring the doorbell first (`needsWake()`, post if `true`): a consumer left asleep on a full
   * ring would never free the space.
   */
  prepareToWaitForSpace(length: number, extraBytes = 0): boolean {
    if (length > this.maxRecordPayload) throw new RangeError(`record of ${length} bytes exceeds maxRecordPayload ${this.maxRecordPayload}`);
    const wanted = Math.min(this.capacity, this.#required(recordBytes(length)) + Math.max(0, extraBytes));
    this.#spaceWanted.arm(wanted);
    this.#spaceArmed = wanted;
    if (this.freeBytes >= wanted) {
      this.#spaceWanted.disarm();
      return false;
    }
    return true;
  }

  /**
   * After `prepareToWaitForSpace` returned `true`: resolves when the consumer claims the flag
   * (alternative to a space message; the consumer's `needsSpaceSignal` also `Atomics.notify`s),
   * at once ('not-equal') if it did already. Throws `RangeError` before any wait was prepared.
   */
  waitForSpaceAsync(timeoutMs = Infinity): Promise<'ok' | 'not-equal' | 'timed-out'> {
    // Wait on the armed value, not on the flag's current one: the consumer may have claimed it
    // (set it to 0) already, and waiting "while it is 0" would never end.
    return this.#spaceWanted.waitAsync(this.#spaceArmed, timeoutMs);
  }

  /** Bytes to have free for a record of `size` ring bytes at the current position (wrap included). */
  #required(size: number): number {
    const tail = this.capacity - (this.#write & this.#mask);
    return size <= tail ? size : tail + size;
  }

  /**
   * Position of the record header for a record of `length` payload bytes, or -1 when it does not
   * fit now. Does not change state.
   */
  #place(length: number): number {
    const size = recordBytes(length);
    const position = this.#write & this.#mask;
    const tail = this.capacity - position;
    const required = size <= tail ? size : tail + size;
    if (this.capacity - ((this.#write - this.#readSeen) | 0) < required) {
      this.#readSeen = Atomics.load(this.#words, READ_WORD);
      if (this.capacity - ((this.#write - this.#readSeen) | 0) < required) return -1;
    }
    return size <= tail ? position : 0;
  }

  /** Claims room and writes the header (and the padding marker); returns the header position or -1. */
  #begin(connectionId: number, kind: number, length: number): number {
    if (this.#reserved) throw new Error('a reservation is open: commit() or cancel() it first');
    checkRecordFields(connectionId, kind);
    if (length > this.maxRecordPayload) {
      throw new RangeError(`record of ${length} bytes exceeds maxRecordPayload ${this.maxRecordPayload}`);
    }
    const at = this.#place(length);
    if (at < 0) return -1;
    let end = this.#write;
    const position = end & this.#mask;
    if (at !== position) {
      // Does not fit in the tail: mark it skipped. The tail is a non-zero multiple of 8 here.
      this.#u32[position >> 2] = PADDING_MARKER;
      end = (end + this.capacity - position) | 0;
    }
    const word = at >> 2;
    this.#u32[word + LENGTH_WORD] = length;
    this.#u32[word + CONNECTION_WORD] = connectionId;
    const half = at >> 1;
    this.#u16[half + KIND_HALF] = kind;
    this.#u16[half + RESERVED_HALF] = 0;
    this.#reservedAt = at;
    this.#reservedLength = length;
    this.#reservedEnd = (end + recordBytes(length)) | 0;
    this.#reserved = true;
    return at;
  }

  #publish(): void {
    this.#write = this.#reservedEnd;
    this.#reserved = false;
    this.#unannounced = true;
    Atomics.store(this.#words, WRITE_WORD, this.#write);
  }
}
