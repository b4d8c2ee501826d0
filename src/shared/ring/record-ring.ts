/**
 * Single-producer single-consumer ring of variable-size records on one SharedArrayBuffer
 * (architecture.md §3): per shard, one main→shard and one shard→main.
 *
 * A record is a 12-byte header { length u32, connection id u32, kind u16, reserved u16 } and the
 * payload, padded to 8 bytes (layout.ts). Records never straddle the end of the data area: when
 * the next one does not fit in the tail, the producer writes a padding marker there and starts
 * the record at position 0. Bytes are in the platform's byte order: both ends run in one process.
 *
 * Memory ordering: the producer writes header and payload with plain stores, then publishes the
 * write index with `Atomics.store`; the consumer reads the write index with `Atomics.load`
 * before touching the bytes. Sequentially consistent atomics synchronise, so everything written
 * before the store is visible after the load. The same holds in reverse for the read index: the
 * producer never touches bytes the consumer has not released.
 *
 * Wake-ups (the doorbell): the consumer, when it runs out of records, declares itself asleep
 * (`prepareToSleep`); the producer, after publishing, asks `needsWake()`, which claims that flag:
 * `true` once per sleep, and the caller then posts one wake-up message. The consumer keeps reading
 * while records keep coming and does not sleep, so one wake-up moves a whole burst of records.
 * The opposite direction (ring full) works the same way: `prepareToWaitForSpace` on the producer,
 * `needsSpaceSignal` on the consumer. signal.ts has the protocol and why no wake-up is lost.
 *
 * Neither class is thread-safe on its own side: one producer object in one thread, one consumer
 * object in one thread.
 */
import {
  CAPACITY_OFFSET,
  CONSUMER_ASLEEP_OFFSET,
  DATA_OFFSET,
  LAYOUT_MAGIC,
  MAGIC_OFFSET,
  MAX_CAPACITY,
  MAX_CONNECTION_ID,
  MAX_KIND,
  MIN_CAPACITY,
  PADDING_MARKER,
  READ_INDEX_OFFSET,
  RECORD_CONNECTION_OFFSET,
  RECORD_HEADER_BYTES,
  RECORD_KIND_OFFSET,
  RECORD_LENGTH_OFFSET,
  RECORD_RESERVED_OFFSET,
  SPACE_WANTED_OFFSET,
  WRITE_INDEX_OFFSET,
  maxPayloadFor,
  recordBytes,
  ringByteLength,
} from './layout.ts';
import { SignalFlag } from './signal.ts';

/**
 * Receives one record. `payload` is a view into the shared ring, valid only during the call:
 * the producer reuses the bytes once the batch ends, so copy (`payload.slice()`) anything you
 * keep, including views a decoder returns (msgpackr binary fields are such views).
 */
export type RecordVisitor = (connectionId: number, kind: number, payload: Uint8Array) => void;

const WRITE_WORD = WRITE_INDEX_OFFSET >> 2;
const READ_WORD = READ_INDEX_OFFSET >> 2;
const LENGTH_WORD = RECORD_LENGTH_OFFSET >> 2;
const CONNECTION_WORD = RECORD_CONNECTION_OFFSET >> 2;
const KIND_HALF = RECORD_KIND_OFFSET >> 1;
const RESERVED_HALF = RECORD_RESERVED_OFFSET >> 1;
/** The consumer-asleep flag's armed value. */
const ASLEEP = 1;

/**
 * A new ring's SharedArrayBuffer: `capacityBytes` of data area (a power of two in
 * [`MIN_CAPACITY`, `MAX_CAPACITY`]) plus the header, empty, with the consumer marked asleep so
 * the first record rings the doorbell. Throws `TypeError` on any other capacity.
 */
export function createRingBuffer(capacityBytes: number): SharedArrayBuffer {
  if (
    typeof capacityBytes !== 'number' ||
    !Number.isInteger(capacityBytes) ||
    capacityBytes < MIN_CAPACITY ||
    capacityBytes > MAX_CAPACITY ||
    (capacityBytes & (capacityBytes - 1)) !== 0
  ) {
    throw new TypeError(
      `ring capacity must be a power of two between ${MIN_CAPACITY} and ${MAX_CAPACITY} bytes, got ${String(capacityBytes)}`,
    );
  }
  const buffer = new SharedArrayBuffer(ringByteLength(capacityBytes));
  const words = new Int32Array(buffer);
  words[MAGIC_OFFSET >> 2] = LAYOUT_MAGIC;
  words[CAPACITY_OFFSET >> 2] = capacityBytes;
  words[CONSUMER_ASLEEP_OFFSET >> 2] = ASLEEP;
  // The buffer reaches the other thread by postMessage, which orders these plain stores.
  return buffer;
}

/** The capacity recorded in a ring buffer, after checking that it is one. */
function attach(buffer: SharedArrayBuffer): number {
  if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < DATA_OFFSET + MIN_CAPACITY) {
    throw new TypeError('not a ring buffer: expected a SharedArrayBuffer from createRingBuffer');
  }
  const words = new Int32Array(buffer, 0, DATA_OFFSET >> 2);
  const capacity = words[CAPACITY_OFFSET >> 2]!;
  if (words[MAGIC_OFFSET >> 2] !== LAYOUT_MAGIC || buffer.byteLength !== ringByteLength(capacity)) {
    throw new TypeError('not a ring buffer: bad magic or size (was it made by createRingBuffer?)');
  }
  return capacity;
}

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
    this.capacity = attach(buffer);
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
    this.capacity = attach(buffer);
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
