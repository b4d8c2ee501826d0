/**
 * The connection contract, one piece of code for both modes (architecture.md §2): the incoming
 * queue and its readers, lent reads, the outgoing bound (outgoing-queue.ts), close and how the
 * session ended. Below it a SessionLink (session-link.ts) moves the bytes: to the byte engine on
 * this thread (direct-link.ts) or to a shard (ring-link.ts).
 *
 * - Incoming: messages wait here; what the reader takes goes back to the link as credit, in
 *   batches, and the link stops reading the socket while the reader is `incomingQueueSize` behind.
 * - Outgoing: a message counts against `outgoingQueueSize` from the moment it is accepted until
 *   the link reports it handed to the socket (outgoing-queue.ts says how).
 * - Lent reads (`readLent`, lent-message.ts): at most one body lent at a time. It stays on the
 *   incoming bound (its credit goes back on release) and is charged to the pending-message budget
 *   until released or the connection ends; on release its memory goes back to the link to reuse.
 */
import { ConnectionClosedError, P2pError } from '../shared/errors.ts';
import { abortable, removeItem, type Settlers } from '../shared/session/abortable.ts';
import type { SessionLimits } from '../shared/session/byte-engine.ts';
import type { PendingMessageBudget } from '../shared/session/pending-message-budget.ts';
import type { FramedMessage } from '../shared/session/message-framer.ts';
import { INCOMING_ENTRY_COST } from '../shared/session/queue-costs.ts';
import type { CloseOutcome, SessionEndListener } from '../shared/session/session-end.ts';
import type { Stat } from '../shared/session/traffic-stats.ts';
import type { SessionBackend } from './session-backend.ts';
import type { LinkedQueues, SessionLink } from './session-link.ts';
import { detachBody, Lend, type LendingQueues, type LentMessage } from './lent-message.ts';
import { OutgoingQueue } from './outgoing-queue.ts';

/**
 * Credit goes back to the link in batches of an eighth of the incoming bound (1 MiB for the
 * default 8 MiB), whether or not the queue ran dry. Any batch up to the bound cannot stall the
 * link: it stops delivering only once `incomingQueueSize` bytes are unacknowledged, and by then
 * the application has either not read them (queued) or holds at least a batch and returns it
 * (test: lifecycle conformance, "a slow reader under a small incoming bound …"). Returning credit
 * after every read would cost a shard a CREDIT record, and a doorbell when it sleeps, per message.
 */
const CREDIT_BATCH_FRACTION = 8;

type IncomingEntry = FramedMessage | P2pError;

/** A reader waiting for the next message; `lends`: a lent read, whose credit waits for the release. */
interface IncomingWaiter extends Settlers<FramedMessage> {
  readonly lends?: true;
}

/**
 * True while a lent read gives the previous body back just before it lends the next one
 * (`releaseForNextLend`): the pending-budget charge then moves from one body to the next in one
 * atomic add, where dropping it to 0 and charging again took four (each a BigInt add on shared
 * memory). The give-back runs synchronously inside it, so one flag serves the whole thread.
 */
let handingOver = false;

/** Flags of `MessageQueues.state`; each is set once and stays. */
const STATE_INCOMING_ENDED = 1;
const STATE_ENDING = 2;
const STATE_GONE = 4;
const STATE_FORCED_CLOSE = 8;
const STATE_CLOSED_FIRST = 16;

/**
 * The outgoing half is the base class (outgoing-queue.ts), not an object of its own: a second
 * object cost every connection its header, a reference to it and a second reference to the link
 * (40 B, bench/idle-memory.ts).
 */
export class MessageQueues extends OutgoingQueue implements SessionBackend, LinkedQueues, LendingQueues {
  /** The pool's pending-message budget, charged with a lent body while the application holds it. */
  private readonly pendingBudget: PendingMessageBudget | undefined;
  /** Received entries not read yet; none while empty (an idle connection keeps no array). */
  private incoming: IncomingEntry[] | undefined;
  /** Index of the next entry: `Array.shift` on a long queue costs a copy per read. */
  private incomingHead = 0;
  /** The oldest waiting reader, then the others in order: one waiting read takes no array. */
  private reader: IncomingWaiter | undefined;
  private laterReaders: IncomingWaiter[] | undefined;
  /** The body lent now, if any (one at a time). */
  private lend: Lend | undefined;
  /** Bytes of that body charged to the pending-message budget (0 once the connection ended). */
  private lendCharge = 0;
  /** The flags below (`STATE_…`) in one number: five boolean fields cost every connection 32 B more. */
  private state = 0;
  private pendingCredit = 0;
  private readonly creditBatch: number;
  /** `ended`, made when first asked for: a promise and its resolver are ~150 B on every idle connection. */
  private endedPromise: Promise<void> | undefined;
  private resolveEnded: (() => void) | undefined;
  private closing: Promise<CloseOutcome> | undefined;
  private endListener: SessionEndListener | undefined;

  constructor(link: SessionLink, limits: SessionLimits) {
    super(link, limits.outgoingQueueSize);
    this.pendingBudget = limits.pendingBudget;
    this.creditBatch = Math.max(1, Math.floor(limits.incomingQueueSize / CREDIT_BATCH_FRACTION));
    link.attach(this);
  }

  /** No more messages will be delivered to the reader. */
  private get incomingEnded(): boolean {
    return (this.state & STATE_INCOMING_ENDED) !== 0;
  }

  /** The link reported the end: it takes effect a turn later (`onEnded`). */
  private get ending(): boolean {
    return (this.state & STATE_ENDING) !== 0;
  }

  /** The end took effect: the socket is gone. */
  private get gone(): boolean {
    return (this.state & STATE_GONE) !== 0;
  }

  /** A close without wait overtook a waiting one. */
  private get forcedClose(): boolean {
    return (this.state & STATE_FORCED_CLOSE) !== 0;
  }

  /** `close` was called before the link reported the end. */
  private get closedFirst(): boolean {
    return (this.state & STATE_CLOSED_FIRST) !== 0;
  }

  // ------------------------------------------------------------ from the link

  /** A received message, this session's own. */
  onMessage(message: FramedMessage): void {
    const reader = this.nextReader();
    if (reader) {
      if (reader.lends !== true) this.credit(message.size);
      reader.resolve(message);
    } else (this.incoming ??= []).push(message);
  }

  /**
   * The stream ended below (peer closed, stream error, local close, or shard crash). The end takes
   * effect a turn later (`setImmediate`): on a socket, the end comes in a later turn than the last
   * data, and a shard's last bodies and its end cross in one ring drain. So in both modes a reader
   * that handles each message without waiting for I/O answers every message received before the
   * end, and only then sees it (closed, writes rejected, reads at CONNECTION_CLOSED); a slower
   * reader sees the end first, then reads what was received. The end of our own close has
   * nothing to wait for: it takes effect at once.
   */
  onEnded(error: P2pError | undefined): void {
    if (this.ending) return;
    this.state |= STATE_ENDING;
    if (this.closedFirst) this.end(error);
    else setImmediate(() => this.end(error));
  }

  private end(error: P2pError | undefined): void {
    this.state |= STATE_GONE;
    const alreadyEnded = this.incomingEnded;
    this.state |= STATE_INCOMING_ENDED;
    if (error && !alreadyEnded) {
      const reader = this.nextReader();
      if (reader) reader.reject(error);
      else (this.incoming ??= []).push(error);
    }
    if (this.reader) {
      const closed = new ConnectionClosedError();
      for (let reader = this.nextReader(); reader; reader = this.nextReader()) reader.reject(closed);
    }
    this.failWriters();
    this.forgetUnreported();
    // A lent body the application holds on is no longer bytes a peer makes us keep: if it is never
    // released, it must not shrink every other connection's room for good.
    this.chargeLend(0);
    this.resolveEnded?.();
    this.endListener?.sessionEnded({ by: this.closedFirst ? 'local' : 'peer', error, ...this.dropped() });
  }

  // ------------------------------------------------------------ reading

  read(signal?: AbortSignal): Promise<FramedMessage> {
    const entry = this.shift();
    if (entry !== undefined) return entry instanceof P2pError ? Promise.reject(entry) : Promise.resolve(entry);
    if (this.incomingEnded) return Promise.reject(new ConnectionClosedError());
    // Without a signal nothing can unpark the reader but delivery or the end: no closures.
    if (!signal) return new Promise<FramedMessage>((resolve, reject) => this.addReader({ resolve, reject }));
    return abortable<FramedMessage>(signal, (settlers) => {
      this.addReader(settlers);
      return () => this.removeReader(settlers);
    });
  }

  /** See SessionBackend.waitForMessage: `read` for a caller that makes its own promise. */
  waitForMessage(waiter: Settlers<FramedMessage>): void {
    const entry = this.shift();
    if (entry !== undefined) {
      if (entry instanceof P2pError) waiter.reject(entry);
      else waiter.resolve(entry);
    } else if (this.incomingEnded) waiter.reject(new ConnectionClosedError());
    else this.addReader(waiter);
  }

  private addReader(waiter: IncomingWaiter): void {
    if (this.reader === undefined) this.reader = waiter;
    else (this.laterReaders ??= []).push(waiter);
  }

  /** Takes the oldest waiting reader. */
  private nextReader(): IncomingWaiter | undefined {
    const reader = this.reader;
    if (reader !== undefined) this.reader = this.laterReaders?.shift();
    return reader;
  }

  /** An aborted read leaves the queue. */
  private removeReader(waiter: IncomingWaiter): void {
    if (this.reader === waiter) this.reader = this.laterReaders?.shift();
    else if (this.laterReaders) removeItem(this.laterReaders, waiter);
  }

  readNow(): FramedMessage | undefined {
    return this.takeNow(true);
  }

  /** The next queued message, crediting it unless it is lent; throws what the queue holds instead. */
  private takeNow(credit: boolean): FramedMessage | undefined {
    // Nothing queued is the common case of a reader that drains: no instanceof then.
    const entry = this.shift(credit);
    if (entry === undefined) {
      if (this.incomingEnded) throw new ConnectionClosedError();
      return undefined;
    }
    if (entry instanceof P2pError) throw entry;
    return entry;
  }

  /** Drops queued messages (after a decoding error: OCaml's reader stops there, protocol.md §9.2). */
  discardIncoming(): void {
    this.incoming = undefined;
    this.incomingHead = 0;
    this.state |= STATE_INCOMING_ENDED;
  }

  // ------------------------------------------------------------ lent reads

  /** `read`, lending the body (lent-message.ts); releases the body lent before first. */
  readLent(signal?: AbortSignal): Promise<LentMessage> {
    this.releaseForNextLend();
    const entry = this.shift(false);
    if (entry !== undefined && !(entry instanceof P2pError)) return Promise.resolve(this.lendOut(entry));
    this.dropHandedOverCharge();
    if (entry !== undefined) return Promise.reject(entry);
    if (this.incomingEnded) return Promise.reject(new ConnectionClosedError());
    return abortable<LentMessage>(signal, (settlers) => {
      const waiter: IncomingWaiter = { lends: true, resolve: (message) => settlers.resolve(this.lendOut(message)), reject: settlers.reject };
      this.addReader(waiter);
      return () => this.removeReader(waiter);
    });
  }

  /** `readNow`, lending the body; releases the body lent before first. */
  readLentNow(): LentMessage | undefined {
    this.releaseForNextLend();
    const message = this.takeNow(false);
    if (message !== undefined) return this.lendOut(message);
    this.dropHandedOverCharge();
    return undefined;
  }

  /**
   * Gives the lent body back, keeping its pending-budget charge for the body lent next, which moves
   * it in one step (`chargeLend`); whoever calls this charges again or drops the charge at once.
   */
  private releaseForNextLend(): void {
    const lend = this.lend;
    if (lend === undefined) return;
    handingOver = true;
    try {
      lend.release();
    } finally {
      handingOver = false;
    }
  }

  /**
   * Nothing to lend after `releaseForNextLend`: the charge it kept goes, unless the give-back
   * itself let a message reach a lent read that waited, whose body now holds the charge.
   */
  private dropHandedOverCharge(): void {
    if (this.lend === undefined) this.chargeLend(0);
  }

  private lendOut(message: FramedMessage): Lend {
    // Two lent reads waited at once: the first one's body goes back as the second one's comes.
    this.releaseForNextLend();
    const lend = new Lend(this, message);
    this.lend = lend;
    this.chargeLend(this.gone ? 0 : message.size);
    return lend;
  }

  /** See LendingQueues: the application released `lend`. */
  giveBack(lend: Lend, message: FramedMessage): void {
    if (this.lend !== lend) return;
    this.lend = undefined;
    if (!handingOver) this.chargeLend(0);
    this.credit(message.size);
    const memory = detachBody(message);
    if (memory !== undefined) this.link.takeBack(memory);
  }

  private chargeLend(bytes: number): void {
    if (bytes === this.lendCharge) return;
    this.pendingBudget?.charge(this.lendCharge, bytes);
    this.lendCharge = bytes;
  }

  private shift(credit = true): IncomingEntry | undefined {
    const incoming = this.incoming;
    if (incoming === undefined) return undefined;
    const entry = incoming[this.incomingHead++]!;
    if (this.incomingHead === incoming.length) {
      this.incoming = undefined;
      this.incomingHead = 0;
    } else if (this.incomingHead >= 1024 && this.incomingHead * 2 >= incoming.length) {
      this.incoming = incoming.slice(this.incomingHead);
      this.incomingHead = 0;
    }
    if (credit && !(entry instanceof P2pError)) this.credit(entry.size);
    return entry;
  }

  private credit(size: number): void {
    this.pendingCredit += size + INCOMING_ENTRY_COST;
    if (this.pendingCredit >= this.creditBatch) {
      const bytes = this.pendingCredit;
      this.pendingCredit = 0;
      if (!this.incomingEnded) this.link.credit(bytes);
    }
  }

  // ------------------------------------------------------------ writing: outgoing-queue.ts

  // ------------------------------------------------------------ state

  /**
   * Without `wait`, what is accepted and not yet on the socket is dropped (the link resets the
   * socket when that was anything); with it, it is sent first. Blocked writers were never
   * accepted: they fail either way, as a closed pipe's pushes do.
   */
  close(wait = false): Promise<CloseOutcome> {
    if (this.closing) {
      // A close without wait overtakes a waiting one (its timeout, or an aborted signal).
      if (!wait && !this.gone && !this.forcedClose) {
        this.state |= STATE_FORCED_CLOSE;
        this.failWriters();
        this.link.close(false);
      }
      return this.closing;
    }
    if (!this.ending) this.state |= STATE_CLOSED_FIRST;
    this.closing = (async () => {
      if (this.gone) return this.dropped();
      this.stop(wait);
      this.link.close(wait);
      await this.ended;
      return this.dropped();
    })();
    return this.closing;
  }

  listenForEnd(listener: SessionEndListener): void {
    this.endListener = listener;
  }

  get queuedOutgoingBytes(): number {
    return this.queuedBytes;
  }

  stat(): Stat {
    return this.link.stat();
  }

  get ended(): Promise<void> {
    this.endedPromise ??= this.gone ? Promise.resolve() : new Promise<void>((resolve) => (this.resolveEnded = resolve));
    return this.endedPromise;
  }
}
