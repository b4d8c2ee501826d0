/**
 * The data plane between main and one shard: the two rings, the doorbells and the transferred
 * buffers (architecture.md §3). Outgoing layouts, credit and closes go to the shard as ring
 * records; received bodies, write reports and ends come back and are handed to each
 * connection's RingLink (ring-link.ts), in order. The shard's worker, its control calls and the lifecycle
 * records are the ShardHandle's (shard-handle.ts).
 */
import type { Worker } from 'node:worker_threads';
import { ConsumerPump } from '../shared/ring/pump.ts';
import { RingConsumer } from '../shared/ring/record-ring.ts';
import { recordBytes } from '../shared/ring/layout.ts';
import { LayoutPool } from '../shared/session/layout-pool.ts';
import { Outbox } from '../shared/shard/outbox.ts';
import { TransferOrder } from '../shared/shard/transfer-order.ts';
import { TRANSFER_THRESHOLD, type MainSignal } from '../shared/shard/protocol.ts';
import { BROADCAST_ID, RECORD, SHARD_WIDE_ID, decodeEnded, decodeWritten, encodeClose, encodeCredit, encodeTransferred, sendLayout, sendTargets, transferredBytes, type RecordSink } from '../shared/shard/records.ts';
import { CorruptMessagesRecordError, forEachBatchedBody } from '../shared/shard/body-batch.ts';
import { forEachWrittenReport } from '../shared/shard/written-reports.ts';
import { readTotals, writeTotals } from '../shared/shard/stat-slots.ts';
import type { RingLink, ShardLink } from './ring-link.ts';

/** What the link needs of a connection's record. */
export interface LinkedRecord {
  readonly slot: number;
  readonly session: RingLink | undefined;
}

/** What the link needs of its shard handle. */
export interface RingLinkHost {
  readonly alive: boolean;
  record(id: number): LinkedRecord | undefined;
  /** A record main could not handle (a bug, or a corrupt ring) ends that one connection. */
  failRecord(id: number, error: unknown): void;
  /** The shard reported the connection's end: it has forgotten it. */
  forget(record: LinkedRecord): void;
  signal(message: MainSignal): void;
}

export class ShardRingLink implements ShardLink {
  readonly traffic = { messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0 };
  readonly doorbells = { doorbellsSent: 0, doorbellsReceived: 0 };
  private readonly host: RingLinkHost;
  private consumer!: RingConsumer;
  private outbox!: Outbox;
  private pump!: ConsumerPump;
  private stats!: Float64Array;
  /** Received bodies that crossed as transferred buffers, kept in order with the ring records. */
  private readonly order = new TransferOrder(RECORD.MESSAGE_TRANSFERRED, (id, kind, payload, body) => {
    try {
      this.onRecord(id, kind, payload, body);
    } catch (error) {
      this.host.failRecord(id, error);
    }
  });

  constructor(host: RingLinkHost) {
    this.host = host;
  }

  /** A new worker: fresh rings (main→shard `inbound`, shard→main `outbound`) and stats table. */
  attach(worker: Worker, inbound: SharedArrayBuffer, outbound: SharedArrayBuffer, stats: Float64Array): void {
    this.stats = stats;
    this.outbox = new Outbox(inbound, (bell, connections, layouts) => {
      if (bell) this.doorbells.doorbellsSent++;
      if (connections.length === 0) this.host.signal({ t: 'bell' });
      else if (this.host.alive) worker.postMessage({ t: 'layouts', connections, layouts, bell } satisfies MainSignal, layouts);
    });
    this.order.clear();
    this.consumer = new RingConsumer(outbound);
    this.pump = new ConsumerPump(this.consumer, {
      visit: (id, kind, payload) => {
        if (id !== SHARD_WIDE_ID) this.order.visit(id, kind, payload);
        else if (kind === RECORD.MESSAGES) this.onBodies(payload);
        else if (kind === RECORD.WRITTEN_BATCH) forEachWrittenReport(payload, this.onWritten);
      },
      onSpace: () => this.host.signal({ t: 'space' }),
    });
  }

  /** Ring usage for `pool.stats()`; zeros while the shard is down. */
  rings(): { ringFromShardBytes: number; ringToShardBytes: number; ringToShardBacklog: number } {
    const alive = this.host.alive;
    return {
      ringFromShardBytes: alive ? this.consumer.usedBytes : 0,
      ringToShardBytes: alive ? this.outbox.usedBytes : 0,
      ringToShardBacklog: alive ? this.outbox.backlog : 0,
    };
  }

  /** The records of connections the shard forgot (or that died with it) are not waited for. */
  forget(id: number): void {
    this.order.forget(id);
  }

  clear(): void {
    this.order.clear();
  }

  // ------------------------------------------------------------ to the shard

  /**
   * A layout of TRANSFER_THRESHOLD bytes or more that is the one view of its own ArrayBuffer (what
   * `encode` allocates above 4 KiB) is transferred, and the shard seals it in place: no copy
   * through the ring (architecture.md §3). Anything else is cut into ring records, copied at once
   * (outbox.ts): true then.
   */
  sendLayout(id: number, layout: Buffer): boolean {
    const buffer = layout.buffer;
    if (layout.length >= TRANSFER_THRESHOLD && this.host.alive && buffer instanceof ArrayBuffer && layout.byteOffset === 0 && layout.byteLength === buffer.byteLength) {
      this.outbox.send(id, RECORD.WRITE_TRANSFERRED, encodeTransferred(layout.length));
      this.outbox.transfer(id, buffer); // posted with this turn's doorbell (outbox.ts)
      return false;
    }
    sendLayout(this.toShard, id, layout, this.outbox.maxPayload);
    return true;
  }

  /**
   * A released lent body's memory goes back to the shard that assembled it, transferred under
   * SHARD_WIDE_ID with the turn's other buffers (one post per turn, outbox.ts), where its framer
   * reuses it (body-pool.ts). Only sizes that pool keeps are worth the trip.
   */
  returnBody(memory: ArrayBuffer): void {
    if (this.host.alive && LayoutPool.keeps(memory.byteLength)) this.outbox.transfer(SHARD_WIDE_ID, memory);
  }

  /** The outbox as a RecordSink, made once (not a closure per message written). */
  private readonly toShard: RecordSink = (to, kind, payload) => this.outbox.send(to, kind, payload);

  sendBroadcast(ids: readonly number[], layout: Buffer): number {
    if (!this.host.alive) return 0;
    let bytes = 0;
    const sink: RecordSink = (to, kind, payload) => {
      bytes += recordBytes(payload.length);
      this.outbox.send(to, kind, payload);
    };
    sendTargets(sink, ids, this.outbox.maxPayload);
    sendLayout(sink, BROADCAST_ID, layout, this.outbox.maxPayload, RECORD.BROADCAST_PART, RECORD.BROADCAST_END);
    return bytes;
  }

  sendCredit(id: number, bytes: number): void {
    this.outbox.send(id, RECORD.CREDIT, encodeCredit(bytes));
  }

  sendClose(id: number, wait: boolean): void {
    if (!this.host.alive) return;
    // An immediate close drops what has not reached the shard, as an inline connection drops what
    // its socket has not taken: the shard cannot write what it never sees.
    const discarded = wait ? 0 : this.outbox.discardWaiting(id, RECORD.WRITE_PART, RECORD.WRITE_END);
    this.outbox.send(id, RECORD.CLOSE, encodeClose(wait, discarded > 0));
  }

  /**
   * A slot handed to a new connection reads zero, not its last holder's totals, until the shard
   * writes it: main reads a handshake's received bytes to decide evictions (handshake-admission.ts).
   */
  clearTotals(slot: number): void {
    writeTotals(this.stats, slot, 0, 0);
  }

  totals(id: number): [number, number] {
    const record = this.host.record(id);
    return record ? readTotals(this.stats, record.slot) : [0, 0];
  }

  // ------------------------------------------------------------ from the shard

  /** The shard rang: records wait in the ring. */
  onBell(): void {
    this.doorbells.doorbellsReceived++;
    this.pump.wake();
  }

  /** The shard made room in the main→shard ring. */
  onSpace(): void {
    this.outbox.onSpace();
  }

  /** Large bodies transferred by the shard, each standing for a MESSAGE_TRANSFERRED record. */
  onTransferred(connections: readonly number[], bodies: readonly ArrayBuffer[], bell: boolean): void {
    for (let i = 0; i < connections.length; i++) {
      const id = connections[i]!;
      if (this.host.record(id)) this.order.arrived(id, bodies[i]!);
    }
    if (bell) this.onBell();
  }

  /**
   * The session of the body before, within one MESSAGES record: in W2 ingest a record is mostly
   * one connection's bodies, and a map lookup each was what batching had saved.
   */
  private bodiesId = 0;
  private bodiesSession: RingLink | undefined;

  /** A MESSAGES record: small bodies of any connections, in order (body-batch.ts). */
  private onBodies(payload: Uint8Array): void {
    this.bodiesId = 0;
    this.bodiesSession = undefined;
    try {
      // One copy out of the ring for the whole batch (a pool slice: < 4 KiB), one view per body.
      forEachBatchedBody(Buffer.from(payload), this.onBatchedBody);
    } catch (error) {
      // A corrupt record (a bug): the bodies before the damage were delivered; the connection
      // whose bodies the record was carrying there ends with the error rather than lose a
      // message silently (the decoder names it: it may have no body before the damage).
      const id = error instanceof CorruptMessagesRecordError ? error.connection : this.bodiesId;
      if (id !== 0) this.host.failRecord(id, error);
    }
  }

  private readonly onBatchedBody = (id: number, body: Buffer): void => {
    // A connection waiting for a transferred body takes this one after it, in order (a copy).
    if (this.order.waiting(id)) {
      this.order.visit(id, RECORD.MESSAGE_END, body);
      return;
    }
    let session = this.bodiesSession;
    if (id !== this.bodiesId) {
      session = this.bodiesSession = this.host.record(id)?.session;
      this.bodiesId = id;
    }
    if (!session) return;
    this.traffic.bytesIn += body.length;
    this.traffic.messagesIn++;
    try {
      session.onBody(body);
    } catch (error) {
      this.bodiesSession = undefined; // the connection is dropped: nothing more for it
      this.host.failRecord(id, error);
    }
  };

  /**
   * One connection's writes since its last report (a WRITTEN record, or one report of a
   * WRITTEN_BATCH): not ordered with its received messages, only before its ENDED, which the
   * shard sends after the connection's last report.
   */
  private readonly onWritten = (id: number, messages: number, bytes: number): void => {
    const session = this.host.record(id)?.session;
    if (!session) return;
    this.traffic.messagesOut += messages;
    this.traffic.bytesOut += bytes;
    try {
      session.onWritten(messages, bytes);
    } catch (error) {
      this.host.failRecord(id, error);
    }
  };

  /** One record in order; `body`: the transferred body a MESSAGE_TRANSFERRED record stands for. */
  private onRecord(id: number, kind: number, payload: Uint8Array, body: ArrayBuffer | undefined): void {
    const record = this.host.record(id);
    const session = record?.session;
    if (!record || !session) return;
    switch (kind) {
      case RECORD.MESSAGE_PART:
        this.traffic.bytesIn += payload.length;
        session.onBodyPart(payload);
        break;
      case RECORD.MESSAGE_END:
        this.traffic.bytesIn += payload.length;
        this.traffic.messagesIn++;
        session.onBodyEnd(payload);
        break;
      case RECORD.MESSAGE_TRANSFERRED: {
        if (!body) break;
        const bytes = transferredBytes(body, payload);
        this.traffic.bytesIn += bytes.length;
        this.traffic.messagesIn++;
        session.onBody(bytes, true);
        break;
      }
      case RECORD.WRITTEN: {
        const { messages, bytes } = decodeWritten(payload);
        this.onWritten(id, messages, bytes);
        break;
      }
      case RECORD.ENDED:
        // The last stats the shard wrote stay readable through the session's own totals.
        session.keepTotals(readTotals(this.stats, record.slot));
        this.host.forget(record);
        session.onEnded(decodeEnded(payload));
        break;
    }
  }
}
