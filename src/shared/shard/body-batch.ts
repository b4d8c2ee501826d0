/**
 * Small received bodies of any of a shard's connections, packed into one MESSAGES ring record
 * under the shard-wide id 0 (records.ts): `u32 LE length ‖ body`, repeated, where a length of
 * `CONNECTION_MARK` instead says "the next u32 LE is the connection id of the bodies that
 * follow" (every record starts with one, so it decodes on its own). The shard appends each small
 * body as the framer cuts it and sends the record when any other record comes (so every record
 * keeps its place after the bodies before it), when it is full, or at the end of the event-loop
 * turn (before the doorbell); main copies the record out of the ring once and hands out one view
 * per body (architecture.md §3).
 *
 * Why: a record per small body costs a ring write, a header and a record visit per message on
 * each thread. Batching across connections matters when each connection has one message in
 * flight (echo), where a batch per connection would still be a record per message; a run of one
 * connection's bodies costs 4 bytes of header per body, not 8.
 *
 * BATCH_PAYLOAD_MAX keeps a record below Node's buffer-pool threshold (4 KiB), so main's one copy
 * comes from the pool: a body a user keeps holds at most an 8 KiB pool slab, as a body copied on
 * its own would.
 */
import { RECORD, SHARD_WIDE_ID, type RecordSink } from './records.ts';
import { EMPTY_BODY } from '../session/message-framer.ts';

/** Largest MESSAGES payload: `Buffer.from` of anything shorter than 4 KiB is a pool slice. */
export const BATCH_PAYLOAD_MAX = 4095;
const LENGTH_BYTES = 4;
/** A length word that announces a connection id instead (a body is never that long). */
const CONNECTION_MARK = 0xffffffff;
/** The mark and the id. */
const SWITCH_BYTES = 8;

export class BodyBatch {
  private readonly sink: RecordSink;
  private readonly buffer = Buffer.allocUnsafeSlow(BATCH_PAYLOAD_MAX);
  private length = 0;
  /** Connection of the last body added; 0 (no connection) at the start of a record. */
  private id = 0;

  constructor(sink: RecordSink) {
    this.sink = sink;
  }

  /** True when the batch is empty (nothing for `flush` to send). */
  get empty(): boolean {
    return this.length === 0;
  }

  /**
   * Adds connection `id`'s next body, `source[start, start + length)` (copied now: the framer's
   * plaintext is reused; no view of it is made). Returns false, adding nothing, when the body is
   * too large for a batch: the caller then sends it in records of its own, after calling
   * `flush()` so that it keeps its place.
   */
  add(id: number, source: Buffer, start = 0, length = source.length - start): boolean {
    if (SWITCH_BYTES + LENGTH_BYTES + length > BATCH_PAYLOAD_MAX) return false;
    let size = LENGTH_BYTES + length;
    if (id !== this.id) size += SWITCH_BYTES;
    if (this.length + size > BATCH_PAYLOAD_MAX) {
      this.flush();
      size = SWITCH_BYTES + LENGTH_BYTES + length;
    }
    if (id !== this.id) {
      this.buffer.writeUInt32LE(CONNECTION_MARK, this.length);
      this.buffer.writeUInt32LE(id, this.length + LENGTH_BYTES);
      this.length += SWITCH_BYTES;
      this.id = id;
    }
    this.buffer.writeUInt32LE(length, this.length);
    source.copy(this.buffer, this.length + LENGTH_BYTES, start, start + length);
    this.length += LENGTH_BYTES + length;
    return true;
  }

  /** Sends what is batched as one record (the sink copies it). */
  flush(): void {
    if (this.length === 0) return;
    const length = this.length;
    this.length = 0;
    this.id = 0;
    this.sink(SHARD_WIDE_ID, RECORD.MESSAGES, this.buffer.subarray(0, length));
  }
}

/**
 * A MESSAGES record that does not decode. `connection`: the connection whose bodies the record was
 * carrying where the damage was found (the last whole connection id before it; 0 before any), so
 * main ends that connection and not the one read before it (test: corrupt-messages-record-blame).
 */
export class CorruptMessagesRecordError extends RangeError {
  readonly connection: number;

  constructor(connection: number, message: string) {
    super(`MESSAGES record, connection ${connection}: ${message}`);
    this.connection = connection;
  }
}

/**
 * Calls `onBody` with each connection id and body of a MESSAGES payload, the bodies as views of
 * `batch` (the caller's own copy of the record). A length that runs past the end, or a body
 * before any connection id, is a corrupt record: CorruptMessagesRecordError (the bodies before it
 * were delivered).
 */
export function forEachBatchedBody(batch: Buffer, onBody: (id: number, body: Buffer) => void): void {
  let at = 0;
  let id = 0;
  while (at < batch.length) {
    if (batch.length - at < LENGTH_BYTES) throw new CorruptMessagesRecordError(id, 'truncated');
    const length = batch.readUInt32LE(at);
    at += LENGTH_BYTES;
    if (length === CONNECTION_MARK) {
      if (batch.length - at < LENGTH_BYTES) throw new CorruptMessagesRecordError(id, 'truncated connection id');
      id = batch.readUInt32LE(at);
      at += LENGTH_BYTES;
      continue;
    }
    if (id === 0) throw new CorruptMessagesRecordError(id, 'a body before any connection id');
    if (length > batch.length - at) throw new CorruptMessagesRecordError(id, `body of ${length} bytes runs past the record`);
    onBody(id, length === 0 ? EMPTY_BODY : batch.subarray(at, at + length));
    at += length;
  }
}
