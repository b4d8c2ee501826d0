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

export const RECORD = {
  /** main→shard: whole chunks of an outgoing message, more parts follow. */
  WRITE_PART: 1,
  /** main→shard: the last (or only) part of an outgoing message. */
  WRITE_END: 2,
  /** main→shard: bytes the application has read (incoming credit). */
  CREDIT: 3,
  /** main→shard: close, optionally after queued writes. */
  CLOSE: 4,
  /** shard→main: part of a message body; more follows. */
  MESSAGE_PART: 10,
  /** shard→main: the end (or all) of a message body. */
  MESSAGE_END: 11,
  /** shard→main: messages and layout bytes handed to the socket since the last report. */
  WRITTEN: 12,
  /** shard→main: the stream ended (after every message it delivered). */
  ENDED: 13,
} as const;

export type RecordKind = (typeof RECORD)[keyof typeof RECORD];

/** Where records go: an Outbox's `send`. */
export type RecordSink = (id: number, kind: RecordKind, payload: Uint8Array) => void;

const EMPTY = new Uint8Array(0);

function view(payload: Uint8Array): DataView {
  return new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
}

// ---------------------------------------------------------------- CREDIT: u32 LE bytes

export function encodeCredit(bytes: number): Uint8Array {
  const payload = new Uint8Array(4);
  view(payload).setUint32(0, Math.min(Math.max(0, bytes), 0xffffffff), true);
  return payload;
}

export function decodeCredit(payload: Uint8Array): number {
  return view(payload).getUint32(0, true);
}

// ---------------------------------------------------------------- CLOSE: u8 wait

export function encodeClose(wait: boolean): Uint8Array {
  return Uint8Array.of(wait ? 1 : 0);
}

export function decodeClose(payload: Uint8Array): { readonly wait: boolean } {
  return { wait: payload[0] === 1 };
}

// ---------------------------------------------------------------- WRITTEN: u32 LE messages, u32 LE bytes

export interface Written {
  readonly messages: number;
  readonly bytes: number;
}

export function encodeWritten(written: Written): Uint8Array {
  const payload = new Uint8Array(8);
  const v = view(payload);
  v.setUint32(0, written.messages, true);
  v.setUint32(4, written.bytes, true);
  return payload;
}

export function decodeWritten(payload: Uint8Array): Written {
  const v = view(payload);
  return { messages: v.getUint32(0, true), bytes: v.getUint32(4, true) };
}

// ---------------------------------------------------------------- ENDED: JSON error record, empty = CONNECTION_CLOSED

export function encodeEnded(error: unknown): Uint8Array {
  if (!(error instanceof P2pError) || error.code === 'CONNECTION_CLOSED') return EMPTY;
  return Buffer.from(JSON.stringify(error.toRecord()));
}

/** `undefined`: a plain close. */
export function decodeEnded(payload: Uint8Array): P2pError | undefined {
  if (payload.length === 0) return undefined;
  const error = errorFromRecord(JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8')) as ErrorRecord);
  return error instanceof P2pError ? error : new ConnectionClosedError(error.message);
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
 * and one WRITE_END, cut at chunk boundaries so the shard seals each part as it comes.
 */
export function sendLayout(sink: RecordSink, id: number, layout: Uint8Array, max: number): void {
  const lengths = view(layout);
  let start = 0;
  let at = 0;
  while (at < layout.length) {
    const next = at + HEADER_LENGTH + lengths.getUint16(at, false);
    if (next - start > max) {
      sink(id, RECORD.WRITE_PART, layout.subarray(start, at));
      start = at;
    }
    at = next;
  }
  sink(id, RECORD.WRITE_END, layout.subarray(start));
}
