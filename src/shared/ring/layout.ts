/**
 * Byte layout of a record ring's SharedArrayBuffer (architecture.md §3). Both threads compute every
 * address from these constants; nothing else in the code base may hard-code an offset.
 *
 * ```
 *  0    ┌──────────────────────────────┐  constant words (written once by createRingBuffer)
 *       │ magic │ capacity │ …          │
 *  128  ├──────────────────────────────┤  producer's line: written by the producer only
 *       │ write index │ space wanted    │
 *  256  ├──────────────────────────────┤  consumer's line: written by the consumer (and the
 *       │ read index │ consumer asleep  │  producer clears "asleep" when it claims a wake-up)
 *  384  ├──────────────────────────────┤
 *       │ data area: `capacity` bytes, records 8-byte aligned, never straddling the end   │
 *       └──────────────────────────────┘
 * ```
 *
 * Index scheme: the write and read indices are byte counters that only grow (they count every
 * byte ever written or released, padding included) and wrap modulo 2^32. They are stored in an
 * `Int32Array` (the only integer view `Atomics.wait`/`waitAsync` accept, which the signal words
 * next to them need) and kept as int32 in JS (`| 0` after every addition). Because the capacity
 * is a power of two ≤ 2^30:
 * - the position of an index in the data area is `index & (capacity - 1)`;
 * - the bytes in use are `(write - read) | 0`, always in [0, capacity], so a full ring and an
 *   empty ring are told apart without sacrificing a slot.
 *
 * The two hot lines sit 128 bytes apart (one cache line on x86 is 64 bytes; Apple silicon and
 * the x86 adjacent-line prefetcher pair lines into 128) so the producer's stores to its index do
 * not invalidate the line the consumer is storing to, and vice versa (false sharing).
 */

/** Word 0: `LAYOUT_MAGIC`, so attaching to a buffer that is not a ring fails loudly. */
export const MAGIC_OFFSET = 0;
/** Word 1: capacity of the data area in bytes (power of two, `MIN_CAPACITY`..`MAX_CAPACITY`). */
export const CAPACITY_OFFSET = 4;

/** Producer's line: bytes ever published (wrapping int32), `Atomics.store`d after the bytes. */
export const WRITE_INDEX_OFFSET = 128;
/**
 * Producer's line: 0, or the number of free bytes the producer waits for (ring full). Set by the
 * producer; claimed (reset to 0) by the consumer once that much is free (see signal.ts).
 */
export const SPACE_WANTED_OFFSET = 132;

/** Consumer's line: bytes ever released (wrapping int32), `Atomics.store`d after a batch. */
export const READ_INDEX_OFFSET = 256;
/**
 * Consumer's line: 1 while the consumer is asleep (idle, waiting for a doorbell), else 0. Set by
 * the consumer; claimed (reset to 0) by the producer that then owes it one wake-up.
 */
export const CONSUMER_ASLEEP_OFFSET = 260;

/** Bytes before the data area. */
export const HEADER_BYTES = 384;
/** Start of the data area (records), a multiple of 128. */
export const DATA_OFFSET = HEADER_BYTES;

/** 'RNG1' in ASCII: identifies this layout (change it when the layout changes). */
export const LAYOUT_MAGIC = 0x52_4e_47_31;
/** Smallest data area: room for two records of `maxPayloadFor(64)` = 20 bytes. */
export const MIN_CAPACITY = 64;
/** Largest data area (1 GiB): keeps `write - read` and every position inside a positive int32. */
export const MAX_CAPACITY = 2 ** 30;

// ── Record layout, relative to the record's start (a multiple of RECORD_ALIGN in the data area)

/** u32: payload length in bytes, or `PADDING_MARKER`. */
export const RECORD_LENGTH_OFFSET = 0;
/** u32: connection id. */
export const RECORD_CONNECTION_OFFSET = 4;
/** u16: record kind (meaning is up to the users of the ring). */
export const RECORD_KIND_OFFSET = 8;
/** u16: reserved, written as 0. */
export const RECORD_RESERVED_OFFSET = 10;
/** Header bytes before the payload; the payload therefore starts 4-byte aligned. */
export const RECORD_HEADER_BYTES = 12;
/** Every record starts at a multiple of this many bytes (header + payload rounded up). */
export const RECORD_ALIGN = 8;
/**
 * Value of the length word meaning "nothing more before the end of the data area: continue at
 * position 0". Written when the next record does not fit in the tail. Only the length word is
 * used, so it fits the smallest possible tail (RECORD_ALIGN bytes).
 */
export const PADDING_MARKER = 0xffff_ffff;

/** Largest connection id (u32). */
export const MAX_CONNECTION_ID = 0xffff_ffff;
/** Largest record kind (u16). */
export const MAX_KIND = 0xffff;

/** Bytes a record with `payloadLength` payload bytes takes in the data area (header, padding). */
export function recordBytes(payloadLength: number): number {
  return (RECORD_HEADER_BYTES + payloadLength + RECORD_ALIGN - 1) & ~(RECORD_ALIGN - 1);
}

/**
 * Largest payload a ring of `capacity` bytes accepts: the record then takes at most half the
 * data area, so it always fits once the ring is empty (whatever the wrap position) and the
 * producer can fill one half while the consumer drains the other. Bigger messages travel as
 * transferred ArrayBuffers (architecture.md §3).
 */
export function maxPayloadFor(capacity: number): number {
  return capacity / 2 - RECORD_HEADER_BYTES;
}

/** Total SharedArrayBuffer size for a ring of `capacity` data bytes. */
export function ringByteLength(capacity: number): number {
  return HEADER_BYTES + capacity;
}
