/**
 * The data-plane contract between main and a shard (architecture.md §3): every ring record kind
 * with its one typed encoder and decoder. Both threads import these; no payload offset is written
 * by hand anywhere else.
 *
 * A record is `(connection id, kind, payload)`; the ring adds its own header. Bodies and layouts
 * larger than one record are cut into parts (`*_PART` kinds, then one `*_END`).
 */
import { ConnectionClosedError, errorFromRecord, P2pError, type ErrorRecord } from '../errors.ts';
import { HEADER_LENGTH } from '../session/chunk-layout.ts';
import { endError } from '../session/session-end.ts';

export const RECORD = {
  /** main→shard: whole chunks of an outgoing message, more parts follow. */
  WRITE_PART: 1,
  /** main→shard: the last (or only) part of an outgoing message. */
  WRITE_END: 2,
  /** main→shard: bytes the application has read (incoming credit). */
  CREDIT: 3,
  /** main→shard: close, optionally after queued writes. */
  CLOSE: 4,
  /**
   * main→shard, connection id 0: the connections the next broadcast layout goes to (sorted ids
   * as LEB128 deltas); several records add up when the list is long.
   */
  BROADCAST_TO: 5,
  /** main→shard, connection id 0: whole chunks of a broadcast layout, more parts follow. */
  BROADCAST_PART: 6,
  /** main→shard, connection id 0: the last part of a broadcast layout; the target list is spent. */
  BROADCAST_END: 7,
  /**
   * main→shard: the connection's next outgoing message is the layout main transferred (posted
   * just before this record); its place among the other records is here. u32 LE length.
   */
  WRITE_TRANSFERRED: 8,
  /** shard→main: part of a message body; more follows. */
  MESSAGE_PART: 10,
  /** shard→main: the end (or all) of a message body. */
  MESSAGE_END: 11,
  /** shard→main: messages and layout bytes handed to the socket since the last report. */
  WRITTEN: 12,
  /** shard→main: the stream ended (after every message it delivered). */
  ENDED: 13,
  /**
   * shard→main: the connection's next message is the body the shard transferred (an ArrayBuffer
   * posted just before this record); its place among the other records is here. u32 LE length.
   */
  MESSAGE_TRANSFERRED: 14,
  /**
   * shard→main, connection id 0: whole small bodies of any connections, in order,
   * `u32 LE length ‖ body` each, after a connection mark and id whenever the connection changes
   * (body-batch.ts).
   */
  MESSAGES: 15,
  /**
   * shard→main, connection id 0: the turn's WRITTEN reports of many connections,
   * `u32 LE id ‖ u32 LE messages ‖ u32 LE bytes` each (written-reports.ts).
   */
  WRITTEN_BATCH: 16,
} as const;

export type RecordKind = (typeof RECORD)[keyof typeof RECORD];

/** Where records go: an Outbox's `send`. */
export type RecordSink = (id: number, kind: RecordKind, payload: Uint8Array) => void;

const EMPTY = new Uint8Array(0);

// u32 fields are written and read byte by byte: records go per message, and a DataView per
// encode and decode would be an allocation each time.
export function putUint32LE(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value;
  bytes[at + 1] = value >>> 8;
  bytes[at + 2] = value >>> 16;
  bytes[at + 3] = value >>> 24;
}

export function getUint32LE(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

// ---------------------------------------------------------------- CREDIT: u32 LE bytes

export function encodeCredit(bytes: number): Uint8Array {
  const payload = new Uint8Array(4);
  putUint32LE(payload, 0, Math.min(Math.max(0, bytes), 0xffffffff));
  return payload;
}

export function decodeCredit(payload: Uint8Array): number {
  return getUint32LE(payload, 0);
}

// ---------------------------------------------------------------- CLOSE: u8 flags (1: wait, 2: reset)

/**
 * `wait`: after the queued writes. `reset`: main dropped messages the shard never saw (an
 * immediate close, ShardRingLink.sendClose), so the socket is reset even if the shard drops none.
 */
export function encodeClose(wait: boolean, reset = false): Uint8Array {
  return Uint8Array.of((wait ? 1 : 0) | (reset ? 2 : 0));
}

export function decodeClose(payload: Uint8Array): { readonly wait: boolean; readonly reset: boolean } {
  const flags = payload[0] ?? 0;
  return { wait: (flags & 1) !== 0, reset: (flags & 2) !== 0 };
}

// ---------------------------------------------------------------- WRITTEN: u32 LE messages, u32 LE bytes

export interface Written {
  readonly messages: number;
  readonly bytes: number;
}

export function encodeWritten(written: Written): Uint8Array {
  const payload = new Uint8Array(8);
  putUint32LE(payload, 0, written.messages);
  putUint32LE(payload, 4, written.bytes);
  return payload;
}

export function decodeWritten(payload: Uint8Array): Written {
  return { messages: getUint32LE(payload, 0), bytes: getUint32LE(payload, 4) };
}


// ---------------------------------------------------------------- MESSAGE_TRANSFERRED, WRITE_TRANSFERRED: u32 LE length, u32 LE offset

/** Where the bytes sit in the transferred ArrayBuffer: `offset` bytes in, `length` bytes, to its end. */
export interface Transferred {
  readonly length: number;
  readonly offset: number;
}

/**
 * `offset`: a received body opened straight into its buffer sits after its 4-byte prefix
 * (message-framer.ts `directTarget`); layouts and other bodies start at 0.
 */
export function encodeTransferred(length: number, offset = 0): Uint8Array {
  const payload = new Uint8Array(8);
  putUint32LE(payload, 0, length);
  putUint32LE(payload, 4, offset);
  return payload;
}

export function decodeTransferred(payload: Uint8Array): Transferred {
  return { length: getUint32LE(payload, 0), offset: getUint32LE(payload, 4) };
}

/**
 * The bytes a transferred `buffer` stands for, as its record says; RangeError when the two do not
 * match (the buffer must hold exactly them, to its end: nothing else crosses with it).
 */
export function transferredBytes(buffer: ArrayBuffer, payload: Uint8Array): Buffer {
  const { length, offset } = decodeTransferred(payload);
  if (offset + length !== buffer.byteLength) throw new RangeError(`transferred buffer of ${buffer.byteLength} bytes, record says ${length} at ${offset}`);
  return Buffer.from(buffer, offset, length);
}

// ---------------------------------------------------------------- ENDED: JSON error record, empty = CONNECTION_CLOSED

export function encodeEnded(error: unknown): Uint8Array {
  // A plain close crosses as nothing; a socket failure (ECONNRESET: the peer reset) keeps its code.
  if (!(error instanceof P2pError) || (error.code === 'CONNECTION_CLOSED' && endError(error) === undefined)) return EMPTY;
  return Buffer.from(JSON.stringify(error.toRecord()));
}

/** `undefined`: a plain close. */
export function decodeEnded(payload: Uint8Array): P2pError | undefined {
  if (payload.length === 0) return undefined;
  const error = errorFromRecord(JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8')) as ErrorRecord);
  return error instanceof P2pError ? error : new ConnectionClosedError(error.message);
}

// ---------------------------------------------------------------- BROADCAST_TO: sorted ids, LEB128 deltas

/**
 * The connection id of records about many connections at once: real connections start at 1.
 * main→shard: broadcasts (BROADCAST_*); shard→main: small bodies (MESSAGES), write reports
 * (WRITTEN_BATCH).
 */
export const SHARD_WIDE_ID = 0;
/** The connection id broadcast records travel under. */
export const BROADCAST_ID = SHARD_WIDE_ID;

/**
 * Target lists as LEB128 deltas of the sorted ids: a shard's ids are dense (one pool-wide counter
 * dealt round-robin), so a delta takes one byte where a u32 would take four: the target list of a
 * broadcast to many connections stays small next to its body.
 */
export function sendTargets(sink: RecordSink, ids: readonly number[], max: number): void {
  const sorted = [...ids].sort((a, b) => a - b);
  let payload = new Uint8Array(Math.min(max, sorted.length * 5 + 5));
  let at = 0;
  let previous = 0;
  for (const id of sorted) {
    if (payload.length - at < 5) {
      sink(BROADCAST_ID, RECORD.BROADCAST_TO, payload.subarray(0, at));
      payload = new Uint8Array(payload.length);
      at = 0;
      previous = 0; // each record starts from 0, so records decode on their own
    }
    let delta = id - previous;
    previous = id;
    while (delta >= 0x80) {
      payload[at++] = (delta & 0x7f) | 0x80;
      delta = Math.floor(delta / 0x80);
    }
    payload[at++] = delta;
  }
  sink(BROADCAST_ID, RECORD.BROADCAST_TO, payload.subarray(0, at));
}

/** Appends the ids of one BROADCAST_TO record to `into`; a truncated varint is an error. */
export function decodeTargets(payload: Uint8Array, into: number[]): void {
  let at = 0;
  let previous = 0;
  while (at < payload.length) {
    let delta = 0;
    let scale = 1;
    for (;;) {
      const byte = payload[at++];
      if (byte === undefined || scale > 2 ** 49) throw new RangeError('truncated broadcast target list');
      delta += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      scale *= 0x80;
    }
    previous += delta;
    into.push(previous);
  }
}

// ---------------------------------------------------------------- cutting bodies and layouts into records

/** A received body as MESSAGE_PART records and one MESSAGE_END, each at most `max` bytes. */
export function sendBody(sink: RecordSink, id: number, body: Uint8Array, max: number): void {
  let at = 0;
  while (body.length - at > max) {
    sink(id, RECORD.MESSAGE_PART, body.subarray(at, at + max));
    at += max;
  }
  sink(id, RECORD.MESSAGE_END, body.subarray(at));
}

/**
 * An outgoing layout (whole chunks: u16 BE length, then that many bytes) as WRITE_PART records
 * and one WRITE_END (a broadcast: BROADCAST_PART and BROADCAST_END), cut at chunk boundaries so the shard seals each part as it comes.
 */
export function sendLayout(sink: RecordSink, id: number, layout: Uint8Array, max: number, part: RecordKind = RECORD.WRITE_PART, end: RecordKind = RECORD.WRITE_END): void {
  if (layout.length <= max) {
    sink(id, end, layout); // one record, the common case: no walk over the chunk headers
    return;
  }
  let start = 0;
  let at = 0;
  while (at < layout.length) {
    const next = at + HEADER_LENGTH + ((layout[at]! << 8) | layout[at + 1]!);
    if (next - start > max) {
      sink(id, part, layout.subarray(start, at));
      start = at;
    }
    at = next;
  }
  sink(id, end, layout.subarray(start));
}
