/**
 * One connection on a shard, from dial (or adopted socket) to closed: the socket side of the
 * connection lifecycle (architecture.md §4). Main mirrors it with one record per connection
 * (src/main/shard-records.ts).
 *
 *   dialing ─→ handshaking ─→ authenticated ─→ accepting ─→ established ─→ closing ─→ closed
 *        \___________\______________\______________\_____________________________↗
 *
 * Every state before `established` runs under one deadline (handshakeTimeout for incoming,
 * connectTimeout for outgoing: authenticate and accept both, protocol.md §11.4). `abandon` and
 * the deadline reach every state, and every exit goes through `finish`, which closes the socket,
 * answers main's pending call and forgets the connection. A failure here never leaves this
 * connection: nothing it does may throw into the worker.
 */
import type { Socket } from 'node:net';
import { AbortedError, ConnectionClosedError, P2pError } from '../shared/errors.ts';
import { acceptSession, nackSession } from '../shared/session/accept-session.ts';
import { MAX_CHUNK_CONTENT } from '../shared/session/chunk-layout.ts';
import { dial } from '../shared/session/dial.ts';
import { deadlineExpired } from '../shared/session/deadline.ts';
import { EncodedMessage, MESSAGE_PREFIX_LENGTH } from '../shared/session/encoded-message.ts';
import type { ByteEngine, EngineReader } from '../shared/session/byte-engine.ts';
import { LayoutPool, layoutPool } from '../shared/session/layout-pool.ts';
import type { LifecycleState } from '../shared/session/lifecycle-state.ts';
import type { BodyTaker, FramedMessage } from '../shared/session/message-framer.ts';
import type { WrittenListener } from '../shared/session/outgoing-layouts.ts';
import { runHandshake } from '../shared/session/handshake.ts';
import { HandshakeProgress } from '../shared/session/handshake-progress.ts';
import { INCOMING_ENTRY_COST } from '../shared/session/queue-costs.ts';
import { HANDSHAKE_INPUT_LIMIT, SessionTransport } from '../shared/session/transport.ts';
import { RECORD, encodeEnded, encodeWritten } from '../shared/shard/records.ts';
import { TRANSFER_THRESHOLD, type Outcome, type SessionLimitsRecord, type WireInfo } from '../shared/shard/protocol.ts';
import { writeTotals } from '../shared/shard/stat-slots.ts';
import type { WrittenReports } from '../shared/shard/written-reports.ts';
import type { Point } from '../shared/wire/point.ts';
import { sendToMain } from './send-to-main.ts';
import { toRecord, type ShardContext } from './shard-context.ts';
import { acceptedSessionLimits, handshakeParams, shardHandshake, waitingIn, wireInfo, type ShardHandshake } from './shard-handshake.ts';

export type { ShardContext } from './shard-context.ts';

type Waiter = (outcome: Outcome<never> | Outcome<WireInfo> | Outcome<null>) => void;

export class ShardConnection implements BodyTaker, EngineReader, WrittenListener {
  readonly id: number;
  readonly slot: number;
  readonly incoming: boolean;
  state: LifecycleState;
  private readonly context: ShardContext;
  /** The deadline before `established`; dropped then (a cleared Timeout is still 160 B kept per connection). */
  private timer: NodeJS.Timeout | undefined;
  private socket: Socket | undefined;
  private transport: SessionTransport | undefined;
  /** What the handshake waits for (replaced by a dialing one when we dial); dropped once established. */
  private progress: HandshakeProgress | undefined = new HandshakeProgress();
  private handshake: ShardHandshake | undefined;
  private session: ByteEngine | undefined;
  /** Main's call awaiting this connection's next step. */
  private waiter: Waiter | undefined;
  /** Bytes delivered to main and not yet read by the application. */
  private unacked = 0;
  private creditLimit = 0;
  /** In the host's list of connections to report at the end of the turn (shard.ts). */
  reportScheduled = false;
  /** Written since the last WRITTEN report. */
  private writtenMessages = 0;
  private writtenBytes = 0;
  private closedPromise: Promise<void> | undefined;
  private resolveClosed: (() => void) | undefined;
  private forgotten = false;

  constructor(context: ShardContext, id: number, slot: number, incoming: boolean, timeout: number) {
    this.context = context;
    this.id = id;
    this.slot = slot;
    this.incoming = incoming;
    this.state = incoming ? 'handshaking' : 'dialing';
    writeTotals(context.stats, slot, 0, 0);
    this.timer = setTimeout(() => this.finish(deadlineExpired(timeout, this.waitingFor())), timeout);
  }

  /** Settles when the socket is closed and the connection forgotten; made when first asked for (only a drain or an abandon waits). */
  get closed(): Promise<void> {
    this.closedPromise ??= this.forgotten ? Promise.resolve() : new Promise<void>((resolve) => (this.resolveClosed = resolve));
    return this.closedPromise;
  }

  /** What this connection waits for in its state, for a TIMEOUT's message (main asks it too). */
  waitingFor(): string {
    return waitingIn(this.state, this.progress);
  }

  // ------------------------------------------------------------------ dialing, handshaking

  /** Outgoing: dial, then authenticate. */
  dial(host: string, port: number): Promise<Outcome<WireInfo>> {
    const reply = this.await<WireInfo>();
    this.progress = new HandshakeProgress(`${host}:${port}`);
    const socket = dial(
      host,
      port,
      () => {
        if (this.state === 'dialing') this.authenticate(socket, host, port);
      },
      (error) => this.finish(error),
    );
    this.socket = socket;
    return reply;
  }

  /** Incoming: authenticate a transferred socket. */
  adopt(socket: Socket, host: string, port: number): Promise<Outcome<WireInfo>> {
    const reply = this.await<WireInfo>();
    this.socket = socket;
    this.authenticate(socket, host, port);
    return reply;
  }

  private authenticate(socket: Socket, host: string, port: number): void {
    this.state = 'handshaking';
    const transport = new SessionTransport(socket, HANDSHAKE_INPUT_LIMIT, this.context.io);
    this.transport = transport;
    const progress = (this.progress ??= new HandshakeProgress());
    progress.attach(transport);
    // Main evicts silent handshakes when its slots are full (handshake-admission.ts): it reads the
    // received count as each read lands, not only at the periodic refresh.
    const publish = (): void => this.countStats();
    socket.on('data', publish);
    runHandshake(transport, handshakeParams(this.context, progress, this.incoming, host, port)).then(
      (result) => {
        socket.off('data', publish);
        if (this.state !== 'handshaking') return;
        this.state = 'authenticated';
        this.handshake = shardHandshake(transport, result);
        this.countStats();
        // A peer that ends while main's policy decides is seen by the accept, as inline: what it
        // sent before its end (its Ack, messages) is still delivered.
        this.answer({ ok: true, value: wireInfo(result) });
      },
      (error: unknown) => {
        socket.off('data', publish);
        this.finish(error);
      },
    );
  }

  // ------------------------------------------------------------------ main's answer

  accept(limits: SessionLimitsRecord): Promise<Outcome<null>> {
    const handshake = this.handshake;
    if (this.state !== 'authenticated' || !handshake) return Promise.resolve(this.notAwaiting());
    const reply = this.await<null>();
    this.state = 'accepting';
    acceptSession(handshake, acceptedSessionLimits(this.context, limits)).then(
      (session) => {
        if (this.state !== 'accepting') {
          void session.close(false);
          return;
        }
        this.established(session, limits.incomingQueueSize);
      },
      (error: unknown) => this.finish(error),
    );
    return reply;
  }

  nack(motive: number, points: readonly Point[]): Promise<Outcome<null>> {
    const handshake = this.handshake;
    if (this.state !== 'authenticated' || !handshake) return Promise.resolve(this.notAwaiting());
    const reply = this.await<null>();
    this.state = 'closing';
    nackSession(handshake, handshake.p2pVersion, motive, points).then(
      () => this.finish(undefined, { ok: true, value: null }),
      (error: unknown) => this.finish(error),
    );
    return reply;
  }

  /** Ends the connection in any state; resolves once it is forgotten. */
  abandon(): Promise<void> {
    if (this.state === 'established') this.end(undefined);
    else this.finish(new AbortedError('abandoned by main'));
    return this.closed;
  }

  // ------------------------------------------------------------------ established: data plane

  private established(session: ByteEngine, creditLimit: number): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.handshake = undefined; // the session holds what it needs of it
    this.progress = undefined;
    this.state = 'established';
    this.session = session;
    this.creditLimit = creditLimit;
    this.answer({ ok: true, value: null });
    session.reader = this;
    session.bodyTaker = this;
    session.writtenListener = this;
    this.drain();
  }

  /** EngineReader: a message straight from the framer to main while the credit lasts. */
  sink(message: FramedMessage): boolean {
    if (!this.hasCredit) return false;
    sendToMain(this.context, this.id, message);
    this.charge(message.size);
    this.context.schedule(this);
    return true;
  }

  /** EngineReader: a message or the end waits in the engine. */
  onReadable(): void {
    this.drain();
  }

  /**
   * A small body straight from the framer into the turn's MESSAGES record, while the credit
   * lasts: the `sink` path without the body's view and message object (message-framer.ts
   * BodyTaker). What it declines (no credit, a large body) goes to `sink` and the queue.
   */
  takeBody(plain: Buffer, start: number, length: number): boolean {
    if (!this.hasCredit || length >= TRANSFER_THRESHOLD) return false;
    if (!this.context.batchBody(this.id, plain, start, length)) return false;
    this.charge(length + MESSAGE_PREFIX_LENGTH);
    this.context.schedule(this);
    return true;
  }

  /** Established, and main's credit for this connection not used up (architecture.md §3). */
  private get hasCredit(): boolean {
    return this.state === 'established' && this.unacked < this.creditLimit;
  }

  /** Counts one message moved to main against the credit: `size` is its prefix and body. */
  private charge(size: number): void {
    this.unacked += size + INCOMING_ENTRY_COST;
  }

  /**
   * Moves received messages to main while the application's credit lasts. Once the peer has
   * gone, everything left moves at once and the end follows: a peer that leaves is reported
   * whatever the credit (architecture.md §3); what moves is bounded by the session's queue.
   */
  drain(): void {
    const session = this.session;
    if (this.state !== 'established' || !session) return;
    const gone = session.incomingEnded;
    let moved = 0;
    while (gone || this.unacked < this.creditLimit) {
      if (session.drained) {
        // The plain end, without the CONNECTION_CLOSED `readNow` would build (and throw) only for
        // `end` to send it as an empty record (records.ts); bench/load.ts W3 measures this path.
        this.end(session.failure);
        return;
      }
      let message;
      try {
        message = session.readNow();
      } catch (error) {
        this.end(error);
        return;
      }
      if (!message) break;
      sendToMain(this.context, this.id, message);
      this.charge(message.size);
      moved++;
    }
    if (moved > 0) this.context.schedule(this);
  }

  credit(bytes: number): void {
    this.unacked -= bytes;
    this.drain();
  }

  /**
   * A part of an outgoing layout: whole chunks, sealed here and written. `from`: where the bytes
   * are. `ring`: a ring record, copied out before its slot is reused, into a buffer of this
   * shard's layout pool that goes back to it once written (layout-pool.ts), and sealed there.
   * `transferred`: this connection's alone, sealed where they are. `shared`: a broadcast's
   * plaintext, this shard's private copy for all its targets, sealed into a pooled copy when
   * this connection's turn to write comes (encoded-message.ts `shared`).
   */
  write(payload: Uint8Array, last: boolean, from: 'ring' | 'transferred' | 'shared' = 'ring'): void {
    const session = this.session;
    if (this.state !== 'established' || !session) return;
    const layout = from === 'ring' ? layoutPool.copy(payload) : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    const recyclable = from === 'ring' && LayoutPool.keeps(layout.length);
    // Reported through `messageWritten` (no closure per message); a layout the end drops is
    // never reported: the stream's end is, by `end`.
    session.send(new EncodedMessage(layout, MAX_CHUNK_CONTENT, layout.length, recyclable, from === 'shared'), last);
  }

  /** WrittenListener: a layout of this connection's was handed to the socket. */
  messageWritten(bytes: number, last: boolean): void {
    this.writtenBytes += bytes;
    if (last) this.writtenMessages++;
    this.context.schedule(this);
  }

  /** Main asked to close: queued writes first when `wait`; `reset`: main dropped some (encodeClose). */
  close(wait: boolean, reset = false): void {
    const session = this.session;
    if (!session) return;
    if (this.state === 'closing') {
      // A close without wait overtakes a waiting one (main's `close({ wait, signal })` aborted).
      if (!wait) void session.close(false, reset);
      return;
    }
    if (this.state !== 'established') return;
    this.state = 'closing';
    session.reader = undefined;
    session.bodyTaker = undefined;
    void session.close(wait, reset).then(() => this.end(undefined));
  }

  /**
   * Report of writes and stats since the last one: into the turn's batch (the host flushes it
   * once per turn), or without one as this connection's own WRITTEN record (its end: in order,
   * before ENDED).
   */
  report(batch?: WrittenReports): void {
    if (this.state === 'closed') return;
    this.countStats();
    if (this.writtenBytes === 0 && this.writtenMessages === 0) return;
    if (batch) batch.add(this.id, this.writtenMessages, this.writtenBytes);
    else this.context.send(this.id, RECORD.WRITTEN, encodeWritten({ messages: this.writtenMessages, bytes: this.writtenBytes }));
    this.writtenMessages = 0;
    this.writtenBytes = 0;
  }

  countStats(): void {
    const transport = this.transport;
    if (transport && this.state !== 'closed') writeTotals(this.context.stats, this.slot, transport.stats.totalSent, transport.stats.totalRecv);
  }

  /** The end of an established (or closing) stream: ENDED after the last message, in order. */
  private end(error: unknown): void {
    if (this.state === 'closed') return;
    this.report();
    this.context.send(this.id, RECORD.ENDED, encodeEnded(error));
    const session = this.session;
    this.state = 'closed';
    void session?.close(false);
    this.forget();
  }

  // ------------------------------------------------------------------ exits

  /**
   * The one exit before `established`: closes the socket, answers main's pending call (or tells
   * main the connection was dropped) and forgets the connection.
   */
  private finish(error: unknown, outcome?: Outcome<null>): void {
    if (this.state === 'closed') return;
    if (this.state === 'established') {
      this.end(error);
      return;
    }
    const wasAuthenticated = this.state === 'authenticated';
    this.state = 'closed';
    const reason = error instanceof P2pError ? error : undefined;
    if (this.transport) void this.transport.close(reason);
    else this.socket?.destroy();
    const reply = outcome ?? { ok: false as const, error: toRecord(error) };
    if (this.waiter) this.answer(reply);
    else if (wasAuthenticated && !reply.ok) this.context.dropped(this.id, reply.error);
    this.forget();
  }

  private forget(): void {
    clearTimeout(this.timer);
    this.context.forget(this);
    this.forgotten = true;
    this.resolveClosed?.();
  }

  private await<T>(): Promise<Outcome<T>> {
    return new Promise<Outcome<T>>((resolve) => (this.waiter = resolve as Waiter));
  }

  private answer(outcome: Outcome<WireInfo> | Outcome<null>): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.(outcome);
  }

  private notAwaiting(): Outcome<null> {
    return { ok: false, error: new ConnectionClosedError(`connection is ${this.state}, not awaiting an answer`).toRecord() };
  }
}
