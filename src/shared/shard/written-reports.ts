/**
 * The turn's write reports of every connection of a shard, in one WRITTEN_BATCH ring record
 * (records.ts): `u32 LE connection id ‖ u32 LE messages ‖ u32 LE bytes`, repeated, under the
 * shard-wide id 0. Main needs the reports to count what is in flight on each connection (its
 * outgoing bound, `writeSync`, `whenWritable`), not in order with that connection's received
 * messages: the two directions are independent, and a connection's last report before its end
 * still goes as its own WRITTEN record just before ENDED (shard-connection.ts).
 *
 * Why: a WRITTEN record per connection per turn would be one ring write, one payload and one
 * decoded object per echoed message, and one per connection per broadcast; one batch per turn
 * is one record for main to visit (architecture.md §3: batch what can be batched).
 */
import { RECORD, SHARD_WIDE_ID, getUint32LE, putUint32LE, type RecordSink } from './records.ts';

/** Bytes per report: connection id, messages, bytes. */
export const WRITTEN_REPORT_BYTES = 12;

export class WrittenReports {
  private buffer = new Uint8Array(64 * WRITTEN_REPORT_BYTES);
  private length = 0;

  /** Adds one connection's report (counts saturate at u32: a report covers one turn). */
  add(id: number, messages: number, bytes: number): void {
    if (this.length + WRITTEN_REPORT_BYTES > this.buffer.length) {
      const grown = new Uint8Array(this.buffer.length * 2);
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    putUint32LE(this.buffer, this.length, id);
    putUint32LE(this.buffer, this.length + 4, Math.min(messages, 0xffffffff));
    putUint32LE(this.buffer, this.length + 8, Math.min(bytes, 0xffffffff));
    this.length += WRITTEN_REPORT_BYTES;
  }

  /** Sends what was added as WRITTEN_BATCH records of at most `max` payload bytes (the sink copies). */
  flush(sink: RecordSink, max: number): void {
    const perRecord = Math.max(1, Math.floor(max / WRITTEN_REPORT_BYTES)) * WRITTEN_REPORT_BYTES;
    for (let at = 0; at < this.length; at += perRecord) {
      sink(SHARD_WIDE_ID, RECORD.WRITTEN_BATCH, this.buffer.subarray(at, Math.min(this.length, at + perRecord)));
    }
    this.length = 0;
  }
}

/** Calls `onReport` for each report of a WRITTEN_BATCH payload; a trailing partial report is ignored. */
export function forEachWrittenReport(payload: Uint8Array, onReport: (id: number, messages: number, bytes: number) => void): void {
  for (let at = 0; at + WRITTEN_REPORT_BYTES <= payload.length; at += WRITTEN_REPORT_BYTES) {
    onReport(getUint32LE(payload, at), getUint32LE(payload, at + 4), getUint32LE(payload, at + 8));
  }
}
