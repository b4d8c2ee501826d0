/**
 * The byte engine of an established session, beside its socket: seals and writes outgoing
 * layouts, opens and frames incoming chunks into messages (protocol.md §9), pauses the socket when
 * its small queue is full or the pending-message budget is spent, and fails a stalled message with
 * TIMEOUT. It carries framed bodies; typing them with a codec is the caller's business
 * (architecture.md §6). The same engine runs on main (inline: direct-link.ts) and in shards
 * (worker/shard-connection.ts); the connection contract above it is main's message-queues.ts.
 */
import { ConnectionClosedError, InvalidIncomingCiphertextSizeError, P2pError, type TimeoutError } from '../errors.ts';
import { isBorrowed } from './borrowed-reads.ts';
import { StallWatch, type Stallable } from './stall-watch.ts';
import type { ChunkOpener, ChunkSealer } from './chunk-cipher.ts';
import { HEADER_LENGTH, TAG_LENGTH } from './chunk-layout.ts';
import { frameChunk } from './frame-chunk.ts';
import { MessageFramer, type BodyTaker, type FramedMessage, type QueueHold } from './message-framer.ts';
import type { PendingMessageBudget } from './pending-message-budget.ts';
import { PendingCharge } from './pending-charge.ts';
import { OutgoingLayouts } from './outgoing-layouts.ts';
import type { Stat } from './traffic-stats.ts';
import type { EndListener, InputListener, SessionTransport } from './transport.ts';
import { IncomingQueue, type IncomingEntry } from './incoming-queue.ts';
import type { CloseOutcome } from './session-end.ts';
import { SessionClose } from './session-close.ts';

export interface SessionLimits {
  /** Bytes of received messages held for the reader before reading the socket stops (protocol.md §9.5). */
  readonly incomingQueueSize: number;
  /** Bytes of messages queued for sending before `write` waits and `writeNow` refuses. */
  readonly outgoingQueueSize: number;
  /** Largest message (prefix + body) accepted from the peer; larger is a DECODING_ERROR. */
  readonly maxMessageSize: number;
  /** See MessageFramer: false where every message is copied elsewhere at once (a shard). */
  readonly detachSmallMessages?: boolean;
  /** Shared count of bytes held by unfinished messages (pending-message-budget.ts); none: no bound but maxMessageSize. */
  readonly pendingBudget?: PendingMessageBudget | undefined;
  /** Milliseconds an unfinished message (a partial chunk counts) may go without a new byte before the connection fails with TIMEOUT. */
  readonly messageTimeout?: number | undefined;
}

/**
 * The engine's own incoming queue in front of a connection's queues (inline: direct-link.ts; a
 * shard: the ring): small, so reading the socket stops soon after the reader's credit runs out.
 */
export const ENGINE_INCOMING_QUEUE = 256 * 1024;

/**
 * Where chunks that span two socket reads are joined, one per thread: a buffer per connection
 * would keep 64 KiB on every connection that ever received a chunk, and a fresh buffer per join
 * costs bulk throughput (bench/bulk-loopback.ts). The framer copies out what it keeps
 * before `pump` returns, so one buffer serves every session; `scratchBusy` guards re-entry.
 */
let threadScratch: Buffer | undefined;
let scratchBusy = false;

/**
 * Who takes an engine's messages: the inline link (direct-link.ts) or the shard's connection
 * (worker/shard-connection.ts). One reference, where two callbacks cost every connection two
 * closures and their context.
 */
export interface EngineReader {
  /** A message or an error was queued for nobody waiting (a shard drains with readNow). */
  onReadable(): void;
  /**
   * Takes a message straight from the framer, before any queue, when nothing is queued; returns
   * false to leave it queued (a shard out of credit). Saves a push, a shift and a wake-up per
   * message on the shard's hot path.
   */
  sink(message: FramedMessage): boolean;
}

/** Flags of `ByteEngine.flags`. */
const ENGINE_INCOMING_CLOSED = 1;
const ENGINE_READ_PAUSED = 2;
const ENGINE_REFILLING = 4;

/**
 * The engine is its own outgoing side (outgoing-layouts.ts is its base class): an object of its
 * own cost every connection its header, a reference to it and a second one to the transport
 * (40 B, bench/idle-memory.ts).
 */
export class ByteEngine extends OutgoingLayouts implements Stallable, QueueHold, InputListener, EndListener {
  private readonly opener: ChunkOpener;
  /** Of SessionLimits, what the engine reads after construction: numbers, not the limits object, kept by every connection. */
  private readonly incomingQueueSize: number;
  private readonly messageTimeout: number | undefined;
  private readonly framer: MessageFramer;

  /** Made when a message must wait in it (its reader's sink declined, or the stream failed): most go straight to the reader. */
  private incoming: IncomingQueue | undefined;
  /** The flags below (`ENGINE_…`) in one number: three boolean fields cost every connection 16 B more. */
  private flags = 0;
  /**
   * The rest of an opened chunk, not framed because the queue filled in the middle of it: framed
   * first when reading resumes. So the queue exceeds its bound by at most one message, however
   * many tiny messages a chunk packs, and what waits costs its plaintext bytes (at most a chunk).
   */
  private unframed: Buffer | undefined;

  /** Made by the first `close`. */
  private closer: SessionClose | undefined;

  /** The framer's callback, made when the first chunk is framed: an idle connection keeps no closure for it. */
  private emitter: ((message: FramedMessage) => void) | undefined;
  /** Who takes the messages (EngineReader): the inline link, or the shard's connection. */
  reader: EngineReader | undefined;
  /**
   * `sink` for a body that lies whole in one chunk, as bytes to copy before it is made a
   * FramedMessage (message-framer.ts); offered under `sink`'s condition (nothing queued), and
   * what it declines goes on to `sink` and the queue.
   */
  bodyTaker: BodyTaker | undefined;
  /** The pool's pending-message budget, if it has one. */
  private readonly pendingBudget: PendingMessageBudget | undefined;
  /**
   * This session's charge to that budget, made when the first bytes come to frame (`pump`): a
   * session that has received nothing holds nothing to charge.
   */
  private pending: PendingCharge | undefined;
  /** The messageTimeout deadline, made on the first unfinished message. */
  private stall: StallWatch | undefined;

  /** No more messages will be added (peer closed, stream error, or local close). */
  private get incomingClosed(): boolean {
    return (this.flags & ENGINE_INCOMING_CLOSED) !== 0;
  }
  private set incomingClosed(on: boolean) {
    this.flags = on ? this.flags | ENGINE_INCOMING_CLOSED : this.flags & ~ENGINE_INCOMING_CLOSED;
  }

  /** Reading is paused because the incoming queue is full. */
  private get readPaused(): boolean {
    return (this.flags & ENGINE_READ_PAUSED) !== 0;
  }
  private set readPaused(on: boolean) {
    this.flags = on ? this.flags | ENGINE_READ_PAUSED : this.flags & ~ENGINE_READ_PAUSED;
  }

  /** A read is framing what the socket holds (`shiftIncoming`): deliver to the queue only. */
  private get refilling(): boolean {
    return (this.flags & ENGINE_REFILLING) !== 0;
  }
  private set refilling(on: boolean) {
    this.flags = on ? this.flags | ENGINE_REFILLING : this.flags & ~ENGINE_REFILLING;
  }

  constructor(transport: SessionTransport, sealer: ChunkSealer, opener: ChunkOpener, limits: SessionLimits) {
    super(transport, sealer);
    this.opener = opener;
    this.incomingQueueSize = limits.incomingQueueSize;
    this.messageTimeout = limits.messageTimeout;
    this.framer = new MessageFramer(limits.maxMessageSize, limits.detachSmallMessages ?? true);
    this.pendingBudget = limits.pendingBudget;
    transport.onEnd = this;
    if (transport.failure) {
      this.transportEnded(transport.failure);
      return;
    }
    transport.onInput = this;
    // Bytes that arrived during the handshake (the peer may stream right after its Ack); reading
    // goes on unless they filled the queue or the session has no room in the pending budget.
    this.pump();
    if (!this.pausedForReader && !this.pending?.paused) transport.resume();
  }

  // ---------------------------------------------------------------- reading

  /** InputListener: the transport received bytes. */
  inputReceived(): void {
    this.pump();
  }

  private get emit(): (message: FramedMessage) => void {
    return this.emitter ?? (this.emitter = deliverTo(this));
  }

  /** Next message if one is queued; throws a queued error; `undefined` when none is ready. */
  readNow(): FramedMessage | undefined {
    const ready = this.shiftIncoming();
    if (ready !== undefined) {
      if (ready instanceof P2pError) throw ready;
      return ready;
    }
    if (this.incomingClosed) throw new ConnectionClosedError();
    return undefined;
  }

  /** Drops queued messages (after a decoding error: OCaml's reader stops there, protocol.md §9.2). */
  discardIncoming(): void {
    this.incoming?.clear();
    this.incomingClosed = true;
  }

  /**
   * Decrypts and frames every complete chunk received, until the incoming queue is full. With
   * `all` (the peer has gone) the bound is ignored: what it sent before leaving is already here
   * and is delivered, not dropped with the socket.
   */
  private pump(all = false): void {
    // Incoming has ended (teardown, close) and its charge was given back: a reader that makes
    // room afterwards must not frame, nor charge to the budget again, what is left (a chunk cut
    // short by a reset would stay charged for the pool's lifetime).
    if (this.incomingClosed) return;
    const input = this.transport.input;
    if (this.pending === undefined && this.pendingBudget !== undefined && (input.length > 0 || this.unframed !== undefined)) {
      const pending = new PendingCharge(this.pendingBudget, this);
      this.pending = pending;
      this.framer.growth = pending;
    }
    const hold = all ? undefined : this;
    if (this.unframed !== undefined && (all || !this.readPaused) && !this.incomingClosed) {
      const rest = this.unframed;
      this.unframed = undefined;
      try {
        const framed = this.framer.push(rest, this.emit, true, this.bodyTaker && this, hold);
        if (framed < rest.length) this.unframed = rest.subarray(framed);
      } catch (error) {
        this.failStream(error as P2pError);
        return;
      }
      if (this.incomingClosed) return;
      if (this.unframed !== undefined) this.pauseFull();
    }
    while ((all || (!this.readPaused && !this.pending?.paused)) && !this.incomingClosed && input.length >= HEADER_LENGTH) {
      const length = input.peekUInt16BE();
      if (length < TAG_LENGTH) {
        this.failStream(new InvalidIncomingCiphertextSizeError(length));
        return;
      }
      if (input.length < HEADER_LENGTH + length) break;
      const scratch = scratchBusy ? undefined : (threadScratch ??= Buffer.allocUnsafeSlow(HEADER_LENGTH + 65535));
      input.skip(HEADER_LENGTH);
      if (scratch) scratchBusy = true;
      try {
        const ciphertext = this.opener.hold(input, length, scratch);
        this.unframed = frameChunk(this.framer, this.opener, ciphertext, this.emit, ciphertext.buffer !== scratch?.buffer && !isBorrowed(ciphertext), this.bodyTaker && this, hold);
      } catch (error) {
        this.failStream(error as P2pError);
        return;
      } finally {
        if (scratch) scratchBusy = false;
      }
      if (this.incomingClosed) {
        // Closed while this chunk was delivered (a read's codec decodes as the message is
        // delivered, and may close): `close` has settled the budget, so what the rest of the chunk
        // started is dropped, not charged (a charge now would stay for the pool's lifetime).
        this.framer.discard();
        this.unframed = undefined;
        return;
      }
      if (!all && (this.unframed !== undefined || this.full)) this.pauseFull();
    }
    // Everything the unfinished message holds is charged, the received part of the next chunk
    // too; with no room for another read, TCP pushes back on this peer (docs/security.md). Bytes
    // that still came while waiting for room (a read already under way) pause it again.
    if (this.pending?.account(this.framer.pendingBytes + input.length, this.framer.spareCapacity - input.length) && !this.readPaused) this.transport.pause();
    this.watchProgress();
  }

  /** QueueHold, asked by the framer between messages: the queue is full (`pump` without `all`). */
  get full(): boolean {
    return (this.incoming?.bytes ?? 0) >= this.incomingQueueSize;
  }

  /** Full: stop reading the socket, so TCP pushes back on the peer (protocol.md §9.5). */
  private pauseFull(): void {
    this.readPaused = true;
    this.transport.pause();
  }

  /**
   * Bytes of a message not delivered yet: its decrypted chunks and the received part of the next
   * chunk. A peer that stops in the middle of a chunk has an unfinished message too.
   */
  get unfinishedBytes(): number {
    return this.framer.receivedBytes + this.transport.input.length;
  }

  /** After a pump: the messageTimeout watch notes the unfinished message's progress. */
  private watchProgress(): void {
    const timeout = this.messageTimeout;
    if (timeout === undefined) return;
    const unfinished = this.unfinishedBytes;
    if (unfinished === 0 && this.stall === undefined) return;
    (this.stall ??= new StallWatch(timeout, this)).observe(unfinished);
  }

  // Stallable, for the watch.
  get receiving(): boolean {
    return !this.incomingClosed;
  }

  get pausedForReader(): boolean {
    return this.readPaused;
  }

  get waitingForQuota(): boolean {
    return this.transport.waitingForQuota;
  }

  stalled(error: TimeoutError): void {
    this.failStream(error);
  }

  /** PendingCharge's owner: the budget has room again for this paused session. */
  onBudgetRoom(): void {
    // The time spent waiting counted against the peer (stall-watch.ts): only new bytes restart its clock.
    if (this.readPaused || this.incomingClosed) return;
    this.transport.resume();
    this.pump();
  }

  /** Gives the unfinished message's bytes back to the budget (teardown, close). */
  private releasePending(): void {
    // Incoming has ended (teardown, close), so nothing more is framed: the unfinished message's
    // memory goes with its budget charge, even while the application still holds this session.
    this.framer.discard();
    this.unframed = undefined;
    this.pending?.release();
    this.stall?.stop();
  }

  /** BodyTaker for the framer: `bodyTaker`, while nothing is queued (order, as in `deliver`). */
  takeBody(plain: Buffer, start: number, length: number): boolean {
    return this.bodyTaker !== undefined && !this.refilling && this.nothingQueued && this.bodyTaker.takeBody(plain, start, length);
  }

  /** @internal The framer's `emit` (`deliverTo`). */
  deliver(message: FramedMessage): void {
    const reader = this.reader;
    if (reader && !this.refilling && this.nothingQueued && reader.sink(message)) return;
    (this.incoming ??= new IncomingQueue()).push(message);
    if (!this.refilling) reader?.onReadable();
  }

  private shiftIncoming(): IncomingEntry | undefined {
    const incoming = this.incoming;
    const entry = incoming?.shift();
    if (entry === undefined) return undefined;
    if (!(entry instanceof P2pError)) {
      if (this.readPaused && incoming!.bytes < this.incomingQueueSize) {
        this.readPaused = false;
        this.stall?.restart(); // the application's pause was not the peer's stall
        if (!this.pending?.paused) {
          this.transport.resume();
          // The entry being read has left the queue but not yet reached its reader: what this
          // pump frames must queue behind it, not overtake it through the sink or a reentrant
          // onReadable (a shard delivered the next messages before it: lifecycle conformance
          // test "a slow reader under a small incoming bound …").
          this.refilling = true;
          try {
            this.pump();
          } finally {
            this.refilling = false;
          }
        }
      }
    }
    return entry;
  }

  /** A stream error: queue it for the reader (after what was already received), then tear down. */
  private failStream(error: P2pError): void {
    if (this.incomingClosed) return;
    (this.incoming ??= new IncomingQueue()).pushError(error);
    this.teardown(error);
  }

  /** True once nothing more will be received (after the queued entries). */
  get incomingEnded(): boolean {
    return this.incomingClosed;
  }

  /** True once nothing more will be received and nothing is queued: `readNow` would throw CONNECTION_CLOSED. */
  get drained(): boolean {
    return this.incomingClosed && this.nothingQueued;
  }

  private get nothingQueued(): boolean {
    return this.incoming === undefined || this.incoming.empty;
  }

  /** EndListener: the socket ended. */
  transportEnded(error: P2pError): void {
    // EOF or reset: readers keep what was received, then see CONNECTION_CLOSED; the writer dies
    // with the reader, as OCaml's shared canceler does (protocol.md §9.2, test close-on-write).
    // Whole chunks received before the end still reach the reader, however slow it is.
    this.pump(true);
    this.teardown(error);
  }

  private teardown(error: P2pError): void {
    this.incomingClosed = true;
    this.releasePending();
    this.transport.input.clear(); // a partial chunk left at the end is never framed
    queueMicrotask(() => this.reader?.onReadable());
    this.drop();
    this.transport.onInput = undefined;
    if (!this.transport.failure) this.transport.fail(error);
  }

  // ---------------------------------------------------------------- writing

  // `send` and its `writtenListener`: outgoing-layouts.ts.

  // ---------------------------------------------------------------- state

  stat(): Stat {
    return this.transport.stats.snapshot();
  }

  /** The error the stream ended with (CONNECTION_CLOSED for a close), once it ended. */
  get failure(): P2pError | undefined {
    return this.transport.failure;
  }

  /** See SessionClose.close. */
  close(wait = false, reset = false): Promise<CloseOutcome> {
    const closer = (this.closer ??= new SessionClose(this.transport, this, () => {
      this.incomingClosed = true;
      this.releasePending();
    }));
    return closer.close(wait, reset);
  }
}

/** The framer's callback for `engine`, made once per engine that frames a chunk. */
function deliverTo(engine: ByteEngine): (message: FramedMessage) => void {
  return (message) => engine.deliver(message);
}
