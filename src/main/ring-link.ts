/**
 * The sharded side of the seam (session-link.ts) for one connection: its layouts, credit and
 * close go to its shard as ring records (through the shard's ShardRingLink), and what the shard
 * sends back (bodies, cut into records or transferred whole; write reports; the end) goes up to
 * the connection's queues. Wire totals come from the shard's stats table.
 */
import type { P2pError } from '../shared/errors.ts';
import type { EncodedMessage } from '../shared/session/encoded-message.ts';
import { MESSAGE_PREFIX_LENGTH } from '../shared/session/encoded-message.ts';
import { layoutPool } from '../shared/session/layout-pool.ts';
import { TrafficStats, statsNow, type Stat } from '../shared/session/traffic-stats.ts';
import type { BroadcastBatch } from './broadcast-batch.ts';
import type { LinkedQueues, SessionLink } from './session-link.ts';

/** What a connection's link needs from its shard's data plane (shard-ring-link.ts). */
export interface ShardLink {
  /**
   * Sends a layout (whole chunks) as one or more ring records, or transferred; true when it was
   * copied into the ring, so the caller may reuse it at once.
   */
  sendLayout(id: number, layout: Buffer): boolean;
  sendCredit(id: number, bytes: number): void;
  sendClose(id: number, wait: boolean): void;
  /** Sends one layout for all of `ids` (a broadcast); returns the ring bytes it took. */
  sendBroadcast(ids: readonly number[], layout: Buffer): number;
  /** Wire totals [sent, received] from the shard's stats table. */
  totals(id: number): [number, number];
  /** Memory of a released lent body, back to the shard's framer to assemble later bodies into. */
  returnBody(memory: ArrayBuffer): void;
}

export class RingLink implements SessionLink {
  readonly id: number;
  private readonly shard: ShardLink;
  private queues!: LinkedQueues;
  /** Parts of a body that came as several ring records; made for the first part. */
  private parts: Buffer[] | undefined;
  /** The rates, made by the first `stat()` as if made when the connection opened (`TrafficStats.since`). */
  private rates: TrafficStats | undefined;
  private readonly openedAt = statsNow();
  private finalTotals: [number, number] | undefined;

  constructor(id: number, shard: ShardLink) {
    this.id = id;
    this.shard = shard;
  }

  attach(queues: LinkedQueues): void {
    this.queues = queues;
  }

  // ------------------------------------------------------------ down

  send(message: EncodedMessage): void {
    // Copied into the ring, the layout is free again; a transferred one leaves this thread with
    // the turn's doorbell, so it must not be handed out before (layout-pool.ts).
    if (this.shard.sendLayout(this.id, message.buffer) && message.recyclable) layoutPool.give(message.buffer);
  }

  joinBroadcast(batch: BroadcastBatch<unknown>, layout: EncodedMessage): void {
    batch.addTarget(this.shard, layout, this.id);
  }

  credit(bytes: number): void {
    this.shard.sendCredit(this.id, bytes);
  }

  close(wait: boolean): void {
    this.shard.sendClose(this.id, wait);
  }

  /**
   * The shard's totals, folded into this connection's rates. The rates count only increases,
   * from 0, so their totals are the highest totals seen: the snapshot is the answer as it is (no
   * second object per call; `pool.stats()` calls this for every connection).
   */
  stat(): Stat {
    const [sent, received] = this.finalTotals ?? this.shard.totals(this.id);
    const rates = (this.rates ??= TrafficStats.since(this.openedAt));
    if (sent > rates.totalSent) rates.addSent(sent - rates.totalSent);
    if (received > rates.totalRecv) rates.addRecv(received - rates.totalRecv);
    return rates.snapshot();
  }

  /** The shard assembled the body: its memory goes back there, with the turn's doorbell. */
  takeBack(memory: ArrayBuffer): void {
    this.shard.returnBody(memory);
  }

  // ------------------------------------------------------------ up, from the shard

  onBodyPart(part: Uint8Array): void {
    (this.parts ??= []).push(Buffer.from(part));
  }

  onBodyEnd(last: Uint8Array): void {
    const parts = this.parts;
    const body = parts === undefined ? Buffer.from(last) : Buffer.concat([...parts, last]);
    this.parts = undefined;
    this.onBody(body);
  }

  /**
   * A whole body, this connection's own (joined from ring records, or a transferred buffer:
   * `owned`, the whole of that buffer after at most its prefix, so a lent one can be detached).
   */
  onBody(body: Buffer, owned = false): void {
    this.queues.onMessage(owned ? { size: body.length + MESSAGE_PREFIX_LENGTH, body, owned } : { size: body.length + MESSAGE_PREFIX_LENGTH, body });
  }

  onWritten(messages: number, bytes: number): void {
    this.queues.onWritten(messages, bytes);
  }

  onEnded(error: P2pError | undefined): void {
    this.queues.onEnded(error);
  }

  /** The shard forgot the connection: its last totals stay what `stat()` reports. */
  keepTotals(totals: [number, number]): void {
    this.finalTotals = totals;
  }
}
