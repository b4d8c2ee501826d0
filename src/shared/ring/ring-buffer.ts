/**
 * A record ring's SharedArrayBuffer: making one (`createRingBuffer`), checking one handed over
 * (`attachRing`), and the word and half-word indices both ends address it by, derived from the
 * byte offsets of layout.ts.
 */
import {
  CAPACITY_OFFSET,
  CONSUMER_ASLEEP_OFFSET,
  DATA_OFFSET,
  LAYOUT_MAGIC,
  MAGIC_OFFSET,
  MAX_CAPACITY,
  MIN_CAPACITY,
  READ_INDEX_OFFSET,
  RECORD_CONNECTION_OFFSET,
  RECORD_KIND_OFFSET,
  RECORD_LENGTH_OFFSET,
  RECORD_RESERVED_OFFSET,
  WRITE_INDEX_OFFSET,
  ringByteLength,
} from './layout.ts';

/** The indices as 32-bit words of the header, and a record header's fields as words and half-words from its start. */
export const WRITE_WORD = WRITE_INDEX_OFFSET >> 2;
export const READ_WORD = READ_INDEX_OFFSET >> 2;
export const LENGTH_WORD = RECORD_LENGTH_OFFSET >> 2;
export const CONNECTION_WORD = RECORD_CONNECTION_OFFSET >> 2;
export const KIND_HALF = RECORD_KIND_OFFSET >> 1;
export const RESERVED_HALF = RECORD_RESERVED_OFFSET >> 1;
/** The consumer-asleep flag's armed value. */
export const ASLEEP = 1;

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
export function attachRing(buffer: SharedArrayBuffer): number {
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
