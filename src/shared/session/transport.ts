/**
 * The socket end of a session: received bytes, writes, byte counters and teardown.
 *
 * During the handshake it serves exact-length reads (`readExact`); once the session is
 * established, `onInput` is set and every received buffer goes straight to the stream decoder,
 * and a `net.Socket` switches to borrowed reads (borrowed-reads.ts) where Node allows it.
 * Listeners are module-level functions bound through a symbol, so nothing is allocated per
 * event (a lesson from ws: it matters at thousands of connections).
 */
import { Socket } from 'node:net';
import type { P2pError } from '../errors.ts';
import { canonicalHost } from '../wire/point.ts';
import { borrowedRead, borrowReads } from './borrowed-reads.ts';
import { ByteQueue } from './byte-queue.ts';
import { destroyWithReset, endGracefully, socketClosedError } from './socket-end.ts';
import { LayoutPool, layoutPool } from './layout-pool.ts';
import { peerHasReset, watchPausedPeer } from './paused-peer-probe.ts';
import { RegulatedDownload } from './regulated-download.ts';
import { TrafficStats } from './traffic-stats.ts';
import type { IoScheduler, Share } from './io-scheduler.ts';
import { currentTurn, forgetReader, listReader, overReadBudget, scheduleTurn, yieldUntilNextTurn, type TurnReader } from './loop-turns.ts';

export { CLOSE_GRACE_MS } from './socket-end.ts';

const OWNER = Symbol('p2p-socket.transport');
type OwnedSocket = Socket & { [OWNER]?: SessionTransport };

/** Bytes buffered during the handshake before reading pauses: two maximal chunks and a connection message. */
export const HANDSHAKE_INPUT_LIMIT = 3 * 65537;

/** `ReadWaiter.need` of a `readFrame`. */
const FRAME = -1;
/** The u16 BE length in front of every handshake frame: a connection message, a chunk (protocol.md §1.1, §6). */
const FRAME_PREFIX = 2;

/**
 * Who a transport tells of its socket's events: the byte engine once established (the handshake's
 * owner before). One reference each, where callbacks would cost every connection a closure and
 * its context.
 */
export interface InputListener {
  /** Stream mode: received bytes were appended to the transport's `input`. */
  inputReceived(): void;
}

export interface EndListener {
  /** The socket ended, errored or was destroyed (called once). */
  transportEnded(error: P2pError): void;
}

export interface DrainListener {
  /** The socket drained, or the upload regulator lets this connection write again. */
  socketWritable(): void;
}

interface ReadWaiter {
  /** Bytes wanted; FRAME: a whole frame (`readFrame`), whose length its prefix gives. */
  readonly need: number;
  /** `readFrame`: a frame whose body is announced shorter than this is handed over as its prefix alone. */
  readonly minBody: number;
  readonly resolve: (bytes: Buffer) => void;
  readonly reject: (error: P2pError) => void;
}

/** Bits of `SessionTransport.flags`. */
const CORKED = 1;
const CLOSED_SOCKET = 2;
const HELD = 4;
const YIELDING = 8;
const BORROWING = 16;

/**
 * What a transport needs only sometimes: a close, a paused peer's probe, the `ended` promise,
 * bandwidth regulation. Made on first use, so an idle established connection keeps one field for
 * all of it (the fields of its own cost every connection 64 B more: bench/idle-memory.ts).
 */
class TransportExtras {
  closePromise: Promise<void> | undefined = undefined;
  /** A graceful close's deadline (`endGracefully`), cleared by the socket's 'close'. */
  closeGrace: NodeJS.Timeout | undefined = undefined;
  endedPromise: Promise<void> | undefined = undefined;
  resolveEnded: (() => void) | undefined = undefined;
  /** Looks for a gone peer while reading is held (`probePeer`). */
  probe: NodeJS.Timeout | undefined = undefined;
  /** Bandwidth regulation (io-scheduler.ts), absent when the pool sets no limit: then nothing below costs anything. */
  io: IoScheduler | undefined = undefined;
  upShare: Share | undefined = undefined;
  download: RegulatedDownload | undefined = undefined;
}

/**
 * The transport counts its own traffic (it is its `stats`): a counter object of its own cost every
 * connection an object header and a field more (bench/idle-memory.ts).
 */
export class SessionTransport extends TrafficStats implements TurnReader {
  readonly socket: Socket;
  readonly input = new ByteQueue();
  /** Set when the socket can no longer be read: every later read fails with it. */
  failure: P2pError | undefined;
  /** Stream mode: told after received bytes were appended to `input`. */
  onInput: InputListener | undefined;
  /** Told once when the socket ends, errors or is destroyed. */
  onEnd: EndListener | undefined;
  /** Handshake mode: pause reading past this many buffered bytes. */
  private readonly inputLimit: number;
  private waiter: ReadWaiter | undefined;
  /**
   * CORKED: writes of this tick are corked. CLOSED_SOCKET: the socket's 'close' came. HELD:
   * reading paused by the session (queue full, budget); with the regulator (`download.throttled`)
   * and YIELDING (this connection's read budget for the turn), reading resumes when none holds
   * it. BORROWING: stream mode reads into the thread's buffer (borrowed-reads.ts), not through
   * 'data'. One number, where five booleans cost 32 B more per connection.
   */
  private flags = 0;
  /** The turn (loop-turns.ts) of this connection's last uncorked write. */
  private writeTurn = -1;
  private extras: TransportExtras | undefined;
  /** TurnReader (loop-turns.ts): this connection's reads in the turn `readTurn`, and its reader generation. */
  readTurn = -1;
  turnBytes = 0;
  seenGeneration = -1;
  private onWritable: DrainListener | undefined;

  private get corked(): boolean {
    return (this.flags & CORKED) !== 0;
  }
  private set corked(on: boolean) {
    this.flags = on ? this.flags | CORKED : this.flags & ~CORKED;
  }
  private get closedSocket(): boolean {
    return (this.flags & CLOSED_SOCKET) !== 0;
  }
  private set closedSocket(on: boolean) {
    this.flags = on ? this.flags | CLOSED_SOCKET : this.flags & ~CLOSED_SOCKET;
  }
  private get held(): boolean {
    return (this.flags & HELD) !== 0;
  }
  private set held(on: boolean) {
    this.flags = on ? this.flags | HELD : this.flags & ~HELD;
  }
  private get yielding(): boolean {
    return (this.flags & YIELDING) !== 0;
  }
  private set yielding(on: boolean) {
    this.flags = on ? this.flags | YIELDING : this.flags & ~YIELDING;
  }
  private get borrowing(): boolean {
    return (this.flags & BORROWING) !== 0;
  }
  private set borrowing(on: boolean) {
    this.flags = on ? this.flags | BORROWING : this.flags & ~BORROWING;
  }

  private get closePromise(): Promise<void> | undefined {
    return this.extras?.closePromise;
  }
  private set closePromise(promise: Promise<void> | undefined) {
    this.ownExtras(promise).closePromise = promise;
  }
  private get closeGrace(): NodeJS.Timeout | undefined {
    return this.extras?.closeGrace;
  }
  private set closeGrace(timer: NodeJS.Timeout | undefined) {
    this.ownExtras(timer).closeGrace = timer;
  }
  private get endedPromise(): Promise<void> | undefined {
    return this.extras?.endedPromise;
  }
  private set endedPromise(promise: Promise<void> | undefined) {
    this.ownExtras(promise).endedPromise = promise;
  }
  private get resolveEnded(): (() => void) | undefined {
    return this.extras?.resolveEnded;
  }
  private set resolveEnded(resolve: (() => void) | undefined) {
    this.ownExtras(resolve).resolveEnded = resolve;
  }
  private get probe(): NodeJS.Timeout | undefined {
    return this.extras?.probe;
  }
  private set probe(timer: NodeJS.Timeout | undefined) {
    this.ownExtras(timer).probe = timer;
  }
  private get io(): IoScheduler | undefined {
    return this.extras?.io;
  }
  private get upShare(): Share | undefined {
    return this.extras?.upShare;
  }
  private get download(): RegulatedDownload | undefined {
    return this.extras?.download;
  }

  /** The extras, made for a value to keep; a write of undefined to a transport without them makes none. */
  private ownExtras(value: unknown): TransportExtras {
    if (this.extras === undefined && value === undefined) return SCRATCH_EXTRAS;
    return (this.extras ??= new TransportExtras());
  }

  /** The transport is its own traffic counter. */
  get stats(): TrafficStats {
    return this;
  }

  constructor(socket: Socket, inputLimit: number, io?: IoScheduler) {
    super();
    this.socket = socket;
    this.inputLimit = inputLimit;
    if (io?.upload || io?.download) {
      const extras = (this.extras = new TransportExtras());
      extras.io = io;
      io.attach();
      extras.upShare = io.upload && { quota: 0, waiting: false, active: false, wake: () => this.onWritable?.socketWritable() };
      extras.download = io.download && new RegulatedDownload(io.download, io.readStep, this);
    }
    (socket as OwnedSocket)[OWNER] = this;
    socket.setNoDelay?.(true); // absent on in-memory duplexes used by tests
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    if (this.io) void this.ended.then(() => this.io?.detach(this.upShare, this.download?.share));
    if (socket.isPaused()) socket.resume();
  }

  /**
   * Resolves once the socket is closed, whoever closed it. Made on first use and settled by the
   * 'close' handler every transport has: a `once('close')` listener of its own cost ~330 B of
   * wrapper, closures and listener array on every idle connection (bench/idle-memory.ts).
   */
  get ended(): Promise<void> {
    this.endedPromise ??= this.socketClosed ? Promise.resolve() : new Promise<void>((resolve) => (this.resolveEnded = resolve));
    return this.endedPromise;
  }

  /** The socket is closed (its 'close' event came, or it was closed before this transport). */
  get socketClosed(): boolean {
    return this.closedSocket || this.socket.closed;
  }

  /** `listener` is told when the socket drained and when the upload regulator lets this connection write again. */
  onDrain(listener: DrainListener): void {
    this.onWritable = listener;
    this.socket.on('drain', onSocketDrain);
  }

  /** Handshake read of exactly `n` bytes; rejects with the transport's failure. */
  readExact(n: number): Promise<Buffer> {
    // An empty read is answered at once whatever the state, so a zero-length field never waits
    // on (or takes from) an empty queue.
    if (n === 0) return this.failure ? Promise.reject(this.failure) : Promise.resolve(Buffer.alloc(0));
    if (this.input.length >= n) return Promise.resolve(this.takeHandshakeBytes(n));
    if (this.failure) return Promise.reject(this.failure);
    return this.wait(n, 0);
  }

  /**
   * Handshake read of one frame, a u16 BE length and that many bytes (a connection message, a
   * chunk): prefix and body in one buffer. A frame announced with a body shorter than `minBody`
   * comes back as its 2-byte prefix alone, at once, for the caller to refuse without waiting for
   * the rest. When the frame is already buffered (the rule: a peer's frame comes in one segment),
   * it is taken with no promise at all: `takeFrame`.
   */
  readFrame(minBody: number): Promise<Buffer> {
    const frame = this.takeFrame(minBody);
    if (frame !== undefined) return Promise.resolve(frame);
    if (this.failure) return Promise.reject(this.failure);
    return this.wait(FRAME, minBody);
  }

  /** `readFrame` when its bytes are buffered; undefined when they are not all there yet. */
  takeFrame(minBody: number): Buffer | undefined {
    const need = this.frameNeed(minBody);
    return need !== undefined && this.input.length >= need ? this.takeHandshakeBytes(need) : undefined;
  }

  /** Bytes a frame at the front takes (its prefix alone when too short, see `readFrame`); undefined until its prefix is here. */
  private frameNeed(minBody: number): number | undefined {
    if (this.input.length < FRAME_PREFIX) return undefined;
    const body = this.input.peekUInt16BE();
    return body < minBody ? FRAME_PREFIX : FRAME_PREFIX + body;
  }

  private wait(need: number, minBody: number): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      this.waiter = { need, minBody, resolve, reject };
      if (this.socket.isPaused()) this.socket.resume();
    });
  }

  /**
   * Writes bytes that are ready for the wire; `recyclable` bytes go back to the layout pool once
   * the socket is done with them (layout-pool.ts). A connection's first write in a turn of the event
   * loop goes straight to the socket; later ones in that turn are corked together and go to the
   * kernel as one writev when the tick ends. Corking every write would cost a nextTick, a cork and
   * a buffered entry per message where one write per turn is the rule (an echo, a reply: W2 echo,
   * bench/echo-path.ts). A burst costs two syscalls instead of one.
   */
  write(bytes: Buffer, recyclable = false): void {
    const giveBack = recyclable ? this.recycleWhenWritten(bytes) : undefined;
    this.writeToSocket(bytes, giveBack);
    // Nothing left in the socket's buffer: the kernel took the bytes during the call (libuv's
    // synchronous write), so the layout is free now, not at the callback a tick later. A fan-out
    // that seals into pooled layouts (a broadcast on a shard) then reuses one layout instead of
    // allocating one per connection until the callbacks come.
    if (giveBack !== undefined && this.socket.writableLength === 0) giveBack();
    this.addSent(bytes.length);
    if (this.upShare) this.io!.upload!.charge(this.upShare, bytes.length);
  }

  private writeToSocket(bytes: Buffer, done: (() => void) | undefined): void {
    if (this.corked) {
      this.socket.write(bytes, done);
    } else if (this.writeTurn === currentTurn()) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(uncorkTransport, this);
      this.socket.write(bytes, done);
    } else {
      this.writeTurn = currentTurn();
      scheduleTurn();
      this.socket.write(bytes, done);
    }
  }

  /**
   * The write callback that gives `bytes` back to the layout pool, once however often it is called
   * (`write` may call it first, when the kernel took the bytes during the call), or none. Only a
   * `net.Socket` qualifies: its callback comes once the kernel has copied the bytes (or the write
   * was dropped with the socket), whereas another stream (an in-memory duplex in tests) may hand
   * the very buffer on to its reader. A closure per layout (only layouts of more than 4 KiB are
   * recyclable): each gives back its own buffer, whatever order a failing socket calls them in.
   */
  private recycleWhenWritten(bytes: Buffer): (() => void) | undefined {
    if (!(this.socket instanceof Socket) || !LayoutPool.keeps(bytes.length)) return undefined;
    let held: Buffer | undefined = bytes;
    return () => {
      if (held === undefined) return;
      layoutPool.give(held);
      held = undefined;
    };
  }

  /** Ends the corked batch of this tick (scheduled by `write`). */
  uncork(): void {
    this.corked = false;
    this.socket.uncork();
  }

  /**
   * True when the writer must wait: for 'drain', or (regulated) for the next refill, in which
   * case this connection is queued and `onDrain`'s callback runs when it may write again.
   */
  get congested(): boolean {
    if (this.socket.writableNeedDrain) return true;
    const share = this.upShare;
    if (share === undefined || this.io!.upload!.mayProceed(share)) return false;
    this.io!.upload!.wait(share);
    return true;
  }

  /** Stops reading: no more 'data' until `resume`; a peer that goes meanwhile is still noticed. */
  pause(): void {
    this.held = true;
    this.socket.pause();
    this.probe ??= watchPausedPeer(this);
  }

  /**
   * While reading is held: a reset peer ends the session at once (the kernel has dropped what it
   * sent, so nothing is lost by not reading it). A FIN stays unseen (paused-peer-probe.ts).
   */
  probePeer(): void {
    if (!this.held || this.failure) {
      clearInterval(this.probe);
      this.probe = undefined;
      return;
    }
    if (!peerHasReset(this.socket)) return;
    this.handleEnd('connection reset by peer');
    // The kernel has dropped the connection, but the paused socket has not read that: released
    // here, or nothing would (its session has ended; a later close finds it ended).
    this.socket.destroy();
  }

  resume(): void {
    this.held = false;
    if (this.onInput && !this.failure) {
      if (!this.borrowing) this.borrow();
      listReader(this);
    }
    if (!this.failure && !this.download?.throttled && !this.yielding) this.socket.resume();
  }

  /**
   * Switches to borrowed reads where Node allows it. On 'data' events a pause only stops the
   * stream flowing, and Node's handle reads on; in `onread` mode only a pause stops it, so a
   * pause still in force (the session, the turn's budget, the regulator) is made again.
   */
  private borrow(): void {
    this.borrowing = borrowReads(this.socket, onBorrowedSocketRead);
    if (this.borrowing && (this.held || this.yielding || this.download?.throttled)) this.socket.pause();
  }

  /** Stream mode: past this turn's read budgets (loop-turns.ts), reading yields until the next turn. */
  private countTurnRead(bytes: number): void {
    if (overReadBudget(this, bytes)) this.yieldRead();
  }

  /** Reading stops until the next turn (a read budget of this turn is spent: loop-turns.ts). */
  yieldRead(): void {
    if (this.yielding || this.failure || !this.onInput) return;
    this.yielding = true;
    this.socket.pause();
    yieldUntilNextTurn(this);
  }

  /** A new turn: reading that yielded goes on, unless another reason still holds it. */
  endYield(): void {
    this.yielding = false;
    if (!this.failure && !this.held && !this.download?.throttled && this.onInput) this.socket.resume();
  }

  /** Reading waits for download quota (the regulator's pause, not the peer's stall: byte-engine.ts). */
  get waitingForQuota(): boolean {
    return this.download?.throttled ?? false;
  }

  /** RegulatedDownload: the quota is spent. */
  holdForQuota(): void {
    this.socket.pause();
  }

  /** RegulatedDownload: quota again; reading goes on unless another reason holds it. */
  quotaAgain(): void {
    if (!this.held && !this.yielding && !this.failure) this.socket.resume();
  }

  /** Marks the transport failed, fails a pending read, and destroys the socket. */
  fail(error: P2pError): void {
    this.setFailure(error);
    this.input.clear();
    this.download?.drop();
    this.socket.destroy();
  }

  /**
   * Graceful close: flush what was handed to the socket, send FIN, keep reading (and dropping)
   * until the peer closes too, so the kernel does not answer unread data with a reset; destroy
   * after CLOSE_GRACE_MS at the latest. A pending read fails with `reason`.
   */
  close(reason?: P2pError): Promise<void> {
    if (this.closePromise) return this.closePromise;
    this.stopInput(reason);
    if (this.socket.destroyed) {
      this.closePromise = Promise.resolve();
    } else {
      this.closePromise = this.ended;
      this.closeGrace = endGracefully(this.socket);
    }
    return this.closePromise;
  }

  /**
   * Immediate close: a TCP reset instead of a FIN, so the peer can tell that what was queued here
   * was dropped (its read fails with `systemCode` ECONNRESET); bytes not yet sent are lost. After
   * a graceful close it cuts that close short (still flushing, or waiting for the peer's FIN):
   * the socket is destroyed (a reset once its FIN is on its way would never report the close).
   */
  reset(reason?: P2pError): Promise<void> {
    const socket = this.socket;
    if (this.closePromise) {
      if (!socket.destroyed) socket.destroy();
      return this.closePromise;
    }
    this.stopInput(reason);
    this.closePromise = socket.destroyed ? Promise.resolve() : this.ended;
    destroyWithReset(socket);
    return this.closePromise;
  }

  /** A local close: fail what waits with `reason` and drop what was received. */
  private stopInput(reason: P2pError | undefined): void {
    // Built only when it is used: a second close is common.
    if (!this.failure) this.setFailure(reason ?? socketClosedError('connection closed locally'));
    this.onInput = undefined;
    this.input.clear();
    this.download?.drop();
  }

  private setFailure(error: P2pError): void {
    if (this.failure) return;
    this.failure = error;
    forgetReader(this);
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
    const onEnd = this.onEnd;
    this.onEnd = undefined;
    onEnd?.transportEnded(error);
  }

  private takeHandshakeBytes(n: number): Buffer {
    const bytes = this.input.take(n);
    if (this.input.length <= this.inputLimit && this.socket.isPaused() && !this.onInput) this.socket.resume();
    return bytes;
  }

  /** @internal socket event handlers below */
  handleData(data: Buffer): void {
    this.addRecv(data.length);
    if (this.failure) return; // closing: drain and drop
    const download = this.download;
    if (this.onInput) {
      this.countTurnRead(data.length);
      if (download) {
        download.feed(data);
      } else {
        this.input.push(data);
        this.onInput.inputReceived();
      }
      if (!this.borrowing && this.onInput !== undefined && !this.failure) this.borrow();
      return;
    }
    this.input.push(data);
    // Handshake bytes are charged too, whole: the handshake reads exact lengths (protocol.md §12.1).
    download?.charge(data.length);
    const waiter = this.waiter;
    const need = waiter === undefined ? undefined : waiter.need === FRAME ? this.frameNeed(waiter.minBody) : waiter.need;
    if (need !== undefined && this.input.length >= need) {
      this.waiter = undefined;
      waiter!.resolve(this.takeHandshakeBytes(need));
    }
    if (this.input.length > this.inputLimit) this.socket.pause();
  }

  /**
   * A borrowed read of `bytes` into the thread's buffer: handled as any read, then what this
   * connection still holds of it (a partial chunk, bytes not framed while paused, a regulated
   * backlog) is copied into memory of its own, since the next read of any socket of this thread
   * overwrites the buffer. The engine keeps no view of it either (`isBorrowed` in its pump).
   */
  handleBorrowedRead(bytes: number): boolean {
    this.handleData(borrowedRead(bytes));
    this.input.ownBorrowed();
    this.download?.ownBorrowed();
    return true;
  }

  /** The socket's 'drain': the writer may go on. */
  drained(): void {
    this.onWritable?.socketWritable();
  }

  handleClose(): void {
    this.closedSocket = true;
    clearTimeout(this.closeGrace);
    this.handleEnd('connection closed');
    const resolve = this.resolveEnded;
    this.resolveEnded = undefined;
    resolve?.();
  }

  /** `cause`: the socket's error, when it ended with one (ECONNRESET …). */
  handleEnd(message: string, cause?: Error): void {
    // 'end' and 'close' both land here; an error object captures a stack, costly on handshake
    // churn (bench/load.ts W3 measures it), so build one only for the first.
    if (this.failure) return;
    this.download?.release();
    this.setFailure(socketClosedError(message, cause));
  }

  /** True once we started closing the connection ourselves (`close`). */
  get closedLocally(): boolean {
    return this.closePromise !== undefined;
  }
}

/**
 * The peer's address as point text uses it: canonical, and `1.2.3.4` rather than
 * `::ffff:1.2.3.4` on a dual-stack listener (protocol.md §8.3).
 */
export function socketHost(socket: Socket): string {
  const address = socket.remoteAddress ?? '';
  return canonicalHost(address) ?? address;
}

/** Takes the writes of undefined to a transport without extras (`ownExtras`): never read. */
const SCRATCH_EXTRAS = new TransportExtras();

function uncorkTransport(transport: SessionTransport): void {
  transport.uncork();
}

function onSocketData(this: OwnedSocket, data: Buffer): void {
  this[OWNER]?.handleData(data);
}

function onBorrowedSocketRead(this: Socket, bytes: number): boolean {
  return (this as OwnedSocket)[OWNER]?.handleBorrowedRead(bytes) ?? true;
}

function onSocketEnd(this: OwnedSocket): void {
  this[OWNER]?.handleEnd('connection closed by peer');
}

function onSocketError(this: OwnedSocket, error: Error): void {
  this[OWNER]?.handleEnd(`connection error: ${error.message}`, error);
}

function onSocketDrain(this: OwnedSocket): void {
  this[OWNER]?.drained();
}

function onSocketClose(this: OwnedSocket): void {
  this[OWNER]?.handleClose();
}
