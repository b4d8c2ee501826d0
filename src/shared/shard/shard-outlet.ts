/**
 * A shard's way out to main (architecture.md §3): its ring's Outbox with the MESSAGES batch in
 * front of it. Small bodies of any connection go into the batch (body-batch.ts); any other record
 * is sent after the bodies batched before it, so every record keeps its place; the batch goes out
 * at the end of the turn, before the doorbell.
 */
import { BodyBatch } from './body-batch.ts';
import { Outbox, type Doorbell } from './outbox.ts';
import type { RecordSink } from './records.ts';

export class ShardOutlet {
  readonly outbox: Outbox;
  private readonly bodies: BodyBatch;

  constructor(ring: SharedArrayBuffer, doorbell: Doorbell) {
    this.outbox = new Outbox(ring, doorbell, () => this.bodies.flush());
    this.bodies = new BodyBatch((id, kind, payload) => this.outbox.send(id, kind, payload));
  }

  /** One record, after the bodies batched before it (the payload is copied now). */
  readonly send: RecordSink = (id, kind, payload) => {
    this.bodies.flush();
    this.outbox.send(id, kind, payload);
  };

  /** A small body, `source[start, start + length)`, into the batch; false: too large, send it in records of its own. */
  readonly batchBody = (id: number, source: Buffer, start: number, length: number): boolean => {
    if (!this.bodies.add(id, source, start, length)) return false;
    this.outbox.scheduleBell();
    return true;
  };
}
