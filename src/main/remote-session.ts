/**
 * The main-thread face of a session that lives on a shard: the same SessionBackend contract as
 * the inline engine, with the queues split across the thread boundary.
 *
 * - Incoming: bodies arrive as ring records and wait here; every read returns credit to the
 *   shard, which stops reading the socket when the application is `incomingQueueSize` behind
 *   (TCP then pushes back on the peer).
 * - Outgoing: layouts go to the shard as ring records; bytes are "in flight" until the shard
 *   reports them written to the socket. `write` waits and `writeNow` refuses past
 *   `outgoingQueueSize` in flight, the same bound as inline.
 */
import { ConnectionClosedError, EncodedMessageConsumedError, P2pError } from '../shared/errors.ts';
import { abortable, removeItem, type Settlers } from '../shared/session/abortable.ts';
import type { EncodedMessage } from '../shared/session/encoded-message.ts';
import { MESSAGE_PREFIX_LENGTH } from '../shared/session/encoded-message.ts';
import type { SessionLimits } from '../shared/session/established-session.ts';
import type { FramedMessage } from '../shared/session/message-framer.ts';
import { INCOMING_ENTRY_COST, OUTGOING_ENTRY_COST, SYNC_WRITE_EXTRA_COST } from '../shared/session/queue-costs.ts';
import type { CloseOutcome, SessionEndListener } from '../shared/session/session-end.ts';
import { RoomWaiters } from '../shared/session/room-waiters.ts';
import { TrafficStats, type Stat } from '../shared/session/traffic-stats.ts';
import type { SessionBackend } from './session-backend.ts';

/** What the session needs from its shard handle. */
export interface ShardLink {
  /** Sends a layout (whole chunks) as one or more ring records. */
  sendLayout(id: number, layout: Buffer): void;
  sendCredit(id: number, bytes: number): void;
  sendClose(id: number, wait: boolean): void;
  /** Sends one layout for all of `ids` (a broadcast); returns the ring bytes it took. */
  sendBroadcast(ids: readonly number[], layout: Buffer): number;
  /** Wire totals [sent, received] from the shard's stats table. */
  totals(id: number): [number, number];
}

/**
 * Credit goes back to the shard in batches of an eighth of the incoming bound (1 MiB for the
 * default 8 MiB), whether or not the queue ran dry. Any batch up to the bound cannot stall the
 * shard: it stops delivering only once `incomingQueueSize` bytes are unacknowledged, and by then
 * the application has either not read them (queued) or main holds at least a batch and sends it
 * (test: lifecycle conformance, "a slow reader under a small incoming bound …").
 * Returning credit whenever the queue ran dry would cost a CREDIT record, and a doorbell when the
 * shard sleeps, after every read of an echo and every bulk message (benchmarks.md, "Per-message
 * work of the sharded path").
 */
const CREDIT_BATCH_FRACTION = 8;

interface BlockedWriter {
  readonly message: EncodedMessage;
  readonly cost: number;
  readonly settlers: Settlers<void>;
  readonly sync: boolean;
}

export class RemoteSession implements SessionBackend {
  readonly id: number;
  private readonly link: ShardLink;
  private readonly limits: SessionLimits;
  private incoming: Array<FramedMessage | P2pError> = [];
  /** Index of the next entry: `Array.shift` on a long queue was 11% of main's time (bench:load W2 ingest). */
  private incomingHead = 0;
  private readonly readers: Settlers<FramedMessage>[] = [];
  /** No more messages will be delivered to the reader. */
  private incomingEnded = false;
  /** The shard reported the end (or died): `end` is due. */
  private ending = false;
  /** The end took effect: the socket is gone. */
  private gone = false;
  private pendingCredit = 0;
  private parts: Buffer[] = [];
  /** Unreturned credit that triggers a CREDIT record (CREDIT_BATCH_FRACTION). */
  private readonly creditBatch: number;
  /** Costs (layout bytes plus entry costs, as inline counts its queue) of messages not yet reported written. */
  private inFlight = 0;
  /** Layout bytes of those messages: what a close that ends them drops. */
  private unwrittenBytes = 0;
  /** Messages sent to the shard per writeSync waiter, in order: resolved as WRITTEN reports come. */
  private readonly syncWaiters: Array<{ readonly index: number; readonly settlers: Settlers<void> }> = [];
  private sentMessages = 0;
  private writtenMessages = 0;
  private readonly blocked: BlockedWriter[] = [];
  /** `whenWritable` callers: settled when the in-flight bytes fall below the bound, or at the end. */
  private readonly room = new RoomWaiters();
  private forcedClose = false;
  private outgoingClosed = false;
  private readonly endedPromise: Promise<void>;
  private resolveEnded!: () => void;
  private closing: Promise<CloseOutcome> | undefined;
  /** `close` was called before the shard reported the end. */
  private closedFirst = false;
  private endListener: SessionEndListener | undefined;
  private readonly rates = new TrafficStats();
  private finalTotals: [number, number] | undefined;

  constructor(id: number, link: ShardLink, limits: SessionLimits) {
    this.id = id;
    this.link = link;
    this.limits = limits;
    this.creditBatch = Math.max(1, Math.floor(limits.incomingQueueSize / CREDIT_BATCH_FRACTION));
    this.endedPromise = new Promise<void>((resolve) => (this.resolveEnded = resolve));
  }

  // ------------------------------------------------------------ from the shard

  onBodyPart(part: Uint8Array): void {
    this.parts.push(Buffer.from(part));
  }

  onBodyEnd(last: Uint8Array): void {
    const body = this.parts.length === 0 ? Buffer.from(last) : Buffer.concat([...this.parts, last]);
    this.parts = [];
    this.onBody(body);
  }

  /** A whole body, this session's own (joined from ring records, or a transferred buffer). */
  onBody(body: Buffer): void {
    const message = { size: body.length + MESSAGE_PREFIX_LENGTH, body };
    const reader = this.readers.shift();
    if (reader) {
      this.credit(message.size);
      reader.resolve(message);
    } else this.incoming.push(message);
  }

  onWritten(messages: number, bytes: number): void {
    this.inFlight -= bytes + messages * OUTGOING_ENTRY_COST;
    this.unwrittenBytes -= bytes;
    this.writtenMessages += messages;
    while (this.syncWaiters.length > 0 && this.syncWaiters[0]!.index <= this.writtenMessages) {
      this.inFlight -= SYNC_WRITE_EXTRA_COST;
      this.syncWaiters.shift()!.settlers.resolve();
    }
    this.admitBlocked();
  }

  /**
   * The stream ended on the shard (peer closed, stream error, local close, or shard crash). The
   * end takes effect a turn later (`setImmediate`): the shard's last bodies and its end cross in
   * one ring drain, and on the main thread a socket's end comes in a later turn than its last
   * data. So in both modes a reader that handles each message without waiting for I/O answers
   * every message received before the end, and only then sees it (closed, writes rejected, reads
   * at CONNECTION_CLOSED); a slower reader sees the end first, then reads what was received.
   */
  onEnded(error: P2pError | undefined): void {
    if (this.ending) return;
    this.ending = true;
    setImmediate(() => this.end(error));
  }

  private end(error: P2pError | undefined): void {
    this.gone = true;
    const alreadyEnded = this.incomingEnded;
    this.incomingEnded = true;
    if (error && !alreadyEnded) {
      const reader = this.readers.shift();
      if (reader) reader.reject(error);
      else this.incoming.push(error);
    }
    for (const reader of this.readers.splice(0)) reader.reject(new ConnectionClosedError());
    this.failWriters();
    this.resolveEnded();
    this.endListener?.sessionEnded({ by: this.closedFirst ? 'local' : 'peer', error, ...this.dropped() });
  }

  /** Sent to the shard and never reported written: dropped by the end (a close without wait, the peer's end). */
  private dropped(): CloseOutcome {
    return { droppedMessages: this.sentMessages - this.writtenMessages, droppedBytes: this.unwrittenBytes };
  }

  listenForEnd(listener: SessionEndListener): void {
    this.endListener = listener;
  }

  get queuedOutgoingBytes(): number {
    return this.inFlight;
  }

  /** The shard forgot the connection: its last totals stay what `stat()` reports. */
  keepTotals(totals: [number, number]): void {
    this.finalTotals = totals;
  }

  // ------------------------------------------------------------ reading

  read(signal?: AbortSignal): Promise<FramedMessage> {
    const entry = this.shift();
    if (entry !== undefined) return entry instanceof P2pError ? Promise.reject(entry) : Promise.resolve(entry);
    if (this.incomingEnded) return Promise.reject(new ConnectionClosedError());
    return abortable<FramedMessage>(signal, (settlers) => {
      this.readers.push(settlers);
      return () => removeItem(this.readers, settlers);
    });
  }

  readNow(): FramedMessage | undefined {
    const entry = this.shift();
    if (entry instanceof P2pError) throw entry;
    if (entry === undefined && this.incomingEnded) throw new ConnectionClosedError();
    return entry;
  }

  discardIncoming(): void {
    this.incoming = [];
    this.incomingHead = 0;
    this.incomingEnded = true;
  }

  private shift(): FramedMessage | P2pError | undefined {
    if (this.incomingHead >= this.incoming.length) return undefined;
    const entry = this.incoming[this.incomingHead++]!;
    if (this.incomingHead === this.incoming.length) {
      this.incoming = [];
      this.incomingHead = 0;
    } else if (this.incomingHead >= 1024 && this.incomingHead * 2 >= this.incoming.length) {
      this.incoming = this.incoming.slice(this.incomingHead);
      this.incomingHead = 0;
    }
    if (!(entry instanceof P2pError)) this.credit(entry.size);
    return entry;
  }

  private credit(size: number): void {
    this.pendingCredit += size + INCOMING_ENTRY_COST;
    if (this.pendingCredit >= this.creditBatch) {
      if (!this.incomingEnded) this.link.sendCredit(this.id, this.pendingCredit);
      this.pendingCredit = 0;
    }
  }

  // ------------------------------------------------------------ writing

  write(message: EncodedMessage, signal?: AbortSignal): Promise<void> {
    return this.enqueue(message, false, signal);
  }

  writeSync(message: EncodedMessage, signal?: AbortSignal): Promise<void> {
    return this.enqueue(message, true, signal);
  }

  writeNow(message: EncodedMessage): boolean {
    if (this.outgoingClosed) throw new ConnectionClosedError();
    if (message.consumed) throw new EncodedMessageConsumedError();
    const cost = costOf(message);
    if (this.blocked.length > 0 || !this.admits(cost)) return false;
    message.consume();
    this.send(message, cost);
    return true;
  }

  /**
   * A broadcast's share for this connection: admitted as `writeNow` would (counted in flight, in
   * order with the other writes), but the layout goes to the shard once for all its connections
   * (broadcast-batch.ts). Returns the link to send it on, or undefined when dropped.
   */
  admitBroadcast(message: EncodedMessage): ShardLink | undefined {
    if (this.outgoingClosed || this.blocked.length > 0 || !this.admits(costOf(message))) return undefined;
    this.inFlight += costOf(message);
    this.unwrittenBytes += message.buffer.length;
    this.sentMessages++;
    return this.link;
  }

  private enqueue(message: EncodedMessage, sync: boolean, signal?: AbortSignal): Promise<void> {
    if (this.outgoingClosed) return Promise.reject(new ConnectionClosedError());
    message.consume();
    const cost = costOf(message) + (sync ? SYNC_WRITE_EXTRA_COST : 0);
    return abortable<void>(signal, (settlers) => {
      if (this.blocked.length === 0 && this.admits(cost)) {
        this.send(message, cost);
        if (sync) this.syncWaiters.push({ index: this.sentMessages, settlers });
        else settlers.resolve();
        return () => undefined;
      }
      const writer: BlockedWriter = { message, cost, settlers, sync };
      this.blocked.push(writer);
      return () => removeItem(this.blocked, writer);
    });
  }

  whenWritable(signal?: AbortSignal): Promise<void> {
    return this.room.wait(this.outgoingClosed, this.hasRoom(), signal);
  }

  private hasRoom(): boolean {
    return this.blocked.length === 0 && this.inFlight <= this.limits.outgoingQueueSize / 2;
  }

  /** Admit if it fits or nothing is in flight (one big message always goes, as inline). */
  private admits(cost: number): boolean {
    return this.inFlight === 0 || this.inFlight + cost < this.limits.outgoingQueueSize;
  }

  /** The shard reports layout bytes written; `onWritten` takes the entry costs off with them. */
  private send(message: EncodedMessage, cost: number): void {
    this.inFlight += cost;
    this.unwrittenBytes += message.buffer.length;
    this.sentMessages++;
    this.link.sendLayout(this.id, message.buffer);
  }

  private admitBlocked(): void {
    while (this.blocked.length > 0 && this.admits(this.blocked[0]!.cost)) {
      const writer = this.blocked.shift()!;
      this.send(writer.message, writer.cost);
      if (writer.sync) this.syncWaiters.push({ index: this.sentMessages, settlers: writer.settlers });
      else writer.settlers.resolve();
    }
    if (this.room.waiting && this.hasRoom()) this.room.wake();
  }

  private failWriters(): void {
    this.outgoingClosed = true;
    // Built only when a writer waits: every connection's end comes here, and an error's stack
    // (~6 µs) was 4.3 % of a sharded W3 server's main thread (bench/handshake-cpu.ts --workers=2).
    if (this.blocked.length === 0 && this.syncWaiters.length === 0 && !this.room.waiting) return;
    const error = new ConnectionClosedError();
    for (const writer of this.blocked.splice(0)) writer.settlers.reject(error);
    for (const waiter of this.syncWaiters.splice(0)) waiter.settlers.reject(error);
    this.room.fail(error);
  }

  // ------------------------------------------------------------ state

  close(wait = false): Promise<CloseOutcome> {
    if (this.closing) {
      // A close without wait overtakes a waiting one (an aborted `close({ wait, signal })`).
      if (!wait && !this.gone && !this.forcedClose) {
        this.forcedClose = true;
        this.failWriters();
        this.link.sendClose(this.id, false);
      }
      return this.closing;
    }
    if (!this.ending) this.closedFirst = true;
    this.closing = (async () => {
      if (this.gone) return this.dropped();
      if (wait && this.blocked.length > 0) {
        // Blocked writers were never queued: they fail as a closed pipe's pushes do.
        for (const writer of this.blocked.splice(0)) writer.settlers.reject(new ConnectionClosedError());
      }
      if (!wait) this.failWriters();
      this.outgoingClosed = true;
      this.link.sendClose(this.id, wait);
      await this.endedPromise;
      return this.dropped();
    })();
    return this.closing;
  }

  /**
   * The shard's totals, folded into this session's rates. The rates count only increases, from 0,
   * so their totals are the highest totals seen: the snapshot is the answer as it is (no second
   * object per call; `pool.stats()` calls this for every connection).
   */
  stat(): Stat {
    const [sent, received] = this.finalTotals ?? this.link.totals(this.id);
    const rates = this.rates;
    if (sent > rates.totalSent) rates.addSent(sent - rates.totalSent);
    if (received > rates.totalRecv) rates.addRecv(received - rates.totalRecv);
    return rates.snapshot();
  }

  get closed(): boolean {
    return this.outgoingClosed;
  }

  get ended(): Promise<void> {
    return this.endedPromise;
  }
}

function costOf(message: EncodedMessage): number {
  return message.buffer.length + OUTGOING_ENTRY_COST;
}
