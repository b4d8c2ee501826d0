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
import { ConnectionClosedError, type P2pError } from '../errors.ts';
import { canonicalHost } from '../wire/point.ts';
import { borrowedRead, borrowReads, ownedCopy } from './borrowed-reads.ts';
import { ByteQueue } from './byte-queue.ts';
import { LayoutPool, layoutPool } from './layout-pool.ts';
import { TrafficStats } from './traffic-stats.ts';
import type { IoScheduler, Share } from './io-scheduler.ts';
import { countThreadRead, currentTurn, READ_BUDGET_PER_TURN, scheduleTurn, THREAD_READ_BUDGET_PER_TURN, yieldUntilNextTurn } from './loop-turns.ts';

const OWNER = Symbol('p2p-socket.transport');
type OwnedSocket = Socket & { [OWNER]?: SessionTransport };

/** Bytes buffered during the handshake before reading pauses: two maximal chunks and a connection message. */
export const HANDSHAKE_INPUT_LIMIT = 3 * 65537;

/**
 * How often a socket we paused is looked at for a peer that reset it (`probePeer`): a paused
 * socket is not read, so its reset would not surface before reading resumes.
 */
export const PAUSED_PROBE_MS = 500;

/**
 * What `probePeer` reads of a socket beyond its public API (Node 24): the TCP handle, whose
 * `getpeername` fails (ENOTCONN) once the peer has reset the connection, read or not.
 */
interface ProbedSocket {
  readonly _handle?: { getpeername?: (out: object) => number } | null;
}

/** How long a closing socket may take to flush and see the peer's FIN before it is destroyed. */
export const CLOSE_GRACE_MS = 2000;

interface ReadWaiter {
  readonly need: number;
  readonly resolve: (bytes: Buffer) => void;
  readonly reject: (error: P2pError) => void;
}

export class SessionTransport {
  readonly socket: Socket;
  readonly input = new ByteQueue();
  readonly stats = new TrafficStats();
  /** Set when the socket can no longer be read: every later read fails with it. */
  failure: P2pError | undefined;
  /** Stream mode: called after received bytes were appended to `input`. */
  onInput: (() => void) | undefined;
  /** Called once when the socket ends, errors or is destroyed. */
  onEnd: ((error: P2pError) => void) | undefined;
  /** Handshake mode: pause reading past this many buffered bytes. */
  private readonly inputLimit: number;
  private waiter: ReadWaiter | undefined;
  private corked = false;
  /** The turn (loop-turns.ts) of this connection's last uncorked write. */
  private writeTurn = -1;
  private closePromise: Promise<void> | undefined;
  private endedPromise: Promise<void> | undefined;
  private resolveEnded: (() => void) | undefined;
  private closedSocket = false;
  /** Bandwidth regulation (io-scheduler.ts), absent when the pool sets no limit: then nothing below costs anything. */
  private readonly io: IoScheduler | undefined;
  private readonly upShare: Share | undefined;
  private readonly downShare: Share | undefined;
  /**
   * Reading paused by the session (queue full, budget), by the regulator, and by this
   * connection's read budget for the turn: resumed when none of them holds it.
   */
  private held = false;
  private throttled = false;
  private yielding = false;
  /** The turn (loop-turns.ts) of this connection's reads counted in `turnBytes`. */
  private readTurn = -1;
  private turnBytes = 0;
  /** Regulated stream mode: the rest of a socket read that the download quota did not cover yet. */
  private backlog: Buffer | undefined;
  private onWritable: (() => void) | undefined;
  /** Stream mode reads into the thread's buffer (borrowed-reads.ts), not through 'data'. */
  private borrowing = false;
  /** Looks for a gone peer while reading is held (`probePeer`). */
  private probe: NodeJS.Timeout | undefined;

  constructor(socket: Socket, inputLimit: number, io?: IoScheduler) {
    this.socket = socket;
    this.inputLimit = inputLimit;
    if (io?.upload || io?.download) {
      this.io = io;
      io.attach();
      this.upShare = io.upload && { quota: 0, waiting: false, active: false, wake: () => this.onWritable?.() };
      this.downShare = io.download && { quota: 0, waiting: false, active: false, wake: () => this.unthrottle() };
    }
    (socket as OwnedSocket)[OWNER] = this;
    socket.setNoDelay?.(true); // absent on in-memory duplexes used by tests
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    if (this.io) void this.ended.then(() => this.io?.detach(this.upShare, this.downShare));
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

  /** `flush` runs when the socket drained and when the upload regulator lets this connection write again. */
  onDrain(flush: () => void): void {
    this.onWritable = flush;
    this.socket.on('drain', flush);
  }

  /** Handshake read of exactly `n` bytes; rejects with the transport's failure. */
  readExact(n: number): Promise<Buffer> {
    // An empty read is answered at once whatever the state, so a zero-length field never waits
    // on (or takes from) an empty queue.
    if (n === 0) return this.failure ? Promise.reject(this.failure) : Promise.resolve(Buffer.alloc(0));
    if (this.input.length >= n) return Promise.resolve(this.takeHandshakeBytes(n));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<Buffer>((resolve, reject) => {
      this.waiter = { need: n, resolve, reject };
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
    const done = recyclable ? this.recycleWhenWritten(bytes) : undefined;
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
    this.stats.addSent(bytes.length);
    if (this.upShare) this.io!.upload!.charge(this.upShare, bytes.length);
  }

  /**
   * The write callback that gives `bytes` back to the layout pool, or none. Only a `net.Socket`
   * qualifies: its callback comes once the kernel has copied the bytes (or the write was dropped
   * with the socket), whereas another stream (an in-memory duplex in tests) may hand the very
   * buffer on to its reader.
   */
  private recycleWhenWritten(bytes: Buffer): (() => void) | undefined {
    // A closure per layout (only layouts of more than 4 KiB are recyclable): each callback gives
    // back its own buffer, whatever order a failing socket calls them in.
    return this.socket instanceof Socket && LayoutPool.keeps(bytes.length) ? () => layoutPool.give(bytes) : undefined;
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
    this.probe ??= setInterval(probeTransport, PAUSED_PROBE_MS, this).unref();
  }

  /**
   * While reading is held: a reset peer ends the session at once (the kernel has dropped what it
   * sent, so nothing is lost by not reading it). A FIN stays unseen: it comes after bytes that only
   * reading shows (a message the budget stalls then ends by `messageTimeout`, stall-watch.ts).
   */
  probePeer(): void {
    if (!this.held || this.failure) {
      clearInterval(this.probe);
      this.probe = undefined;
      return;
    }
    const socket = this.socket as Socket & ProbedSocket;
    const getpeername = socket._handle?.getpeername;
    if (getpeername !== undefined && getpeername.call(socket._handle, {}) !== 0) this.handleEnd('connection reset by peer');
  }

  resume(): void {
    this.held = false;
    if (this.onInput && !this.borrowing) this.borrowing = borrowReads(this.socket, onBorrowedSocketRead);
    if (!this.failure && !this.throttled && !this.yielding) this.socket.resume();
  }

  /**
   * Stream mode: counts `bytes` against this turn's read budgets (the connection's and the
   * thread's) and, past either, stops reading until the next turn, so the rest of the loop runs
   * before this socket is read again.
   */
  private countTurnRead(bytes: number): void {
    const turn = currentTurn();
    if (this.readTurn !== turn) {
      this.readTurn = turn;
      this.turnBytes = 0;
    }
    this.turnBytes += bytes;
    const threadBytes = countThreadRead(bytes);
    if (this.yielding || this.failure) return;
    if (this.turnBytes < READ_BUDGET_PER_TURN && threadBytes < THREAD_READ_BUDGET_PER_TURN) return;
    this.yielding = true;
    this.socket.pause();
    yieldUntilNextTurn(this);
  }

  /** A new turn: reading that yielded goes on, unless another reason still holds it. */
  endYield(): void {
    this.yielding = false;
    if (!this.failure && !this.held && !this.throttled && this.onInput) this.socket.resume();
  }

  /** Reading waits for download quota (the regulator's pause, not the peer's stall: byte-engine.ts). */
  get waitingForQuota(): boolean {
    return this.throttled;
  }

  /** The download regulator has quota again for this connection: first the rest of the last read, then the socket. */
  private unthrottle(): void {
    this.throttled = false;
    const backlog = this.backlog;
    this.backlog = undefined;
    if (backlog && !this.failure) this.feedSteps(backlog);
    if (!this.throttled && !this.held && !this.yielding && !this.failure) this.socket.resume();
  }

  /**
   * Regulated stream mode: hands `data` on in steps of at most `readBufferSize` bytes, each charged
   * to the quota; when the quota is spent, the rest waits in `backlog` (at most one socket read,
   * 64 KiB) and the socket is paused until the regulator wakes this connection (protocol.md §12.1).
   */
  private feedSteps(data: Buffer): void {
    const share = this.downShare!;
    const download = this.io!.download!;
    const step = this.io!.readStep;
    let offset = 0;
    while (offset < data.length) {
      const end = Math.min(data.length, offset + step);
      this.input.push(offset === 0 && end === data.length ? data : data.subarray(offset, end));
      download.charge(share, end - offset);
      offset = end;
      this.onInput?.();
      if (this.failure || !this.onInput) return; // the session ended or left stream mode
      if (!download.mayProceed(share)) {
        if (offset < data.length) this.backlog = data.subarray(offset);
        this.throttled = true;
        this.socket.pause();
        download.wait(share);
        return;
      }
    }
  }

  /** Marks the transport failed, fails a pending read, and destroys the socket. */
  fail(error: P2pError): void {
    this.setFailure(error);
    this.input.clear();
    this.backlog = undefined;
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
    const socket = this.socket;
    this.closePromise = new Promise<void>((resolve) => {
      if (socket.destroyed) {
        resolve();
        return;
      }
      const timer = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.resume();
      socket.end();
    });
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
    this.backlog = undefined;
  }

  private setFailure(error: P2pError): void {
    if (this.failure) return;
    this.failure = error;
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
    const onEnd = this.onEnd;
    this.onEnd = undefined;
    onEnd?.(error);
  }

  private takeHandshakeBytes(n: number): Buffer {
    const bytes = this.input.take(n);
    if (this.input.length <= this.inputLimit && this.socket.isPaused() && !this.onInput) this.socket.resume();
    return bytes;
  }

  /** @internal socket event handlers below */
  handleData(data: Buffer): void {
    this.stats.addRecv(data.length);
    if (this.failure) return; // closing: drain and drop
    const share = this.downShare;
    if (this.onInput) {
      this.countTurnRead(data.length);
      if (share) {
        // A read that lands while earlier bytes still wait for quota (pause is not instant) queues behind them.
        if (this.backlog) this.backlog = Buffer.concat([this.backlog, data]);
        else this.feedSteps(data);
      } else {
        this.input.push(data);
        this.onInput();
      }
      if (!this.borrowing && this.onInput !== undefined && !this.failure) this.borrowing = borrowReads(this.socket, onBorrowedSocketRead);
      return;
    }
    this.input.push(data);
    // Handshake bytes are charged too, whole: the handshake reads exact lengths (protocol.md §12.1).
    if (share) this.io!.download!.charge(share, data.length);
    const waiter = this.waiter;
    if (waiter && this.input.length >= waiter.need) {
      this.waiter = undefined;
      waiter.resolve(this.takeHandshakeBytes(waiter.need));
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
    if (this.backlog) this.backlog = ownedCopy(this.backlog);
    return true;
  }

  /** True once stream-mode reads go into the thread's buffer (borrowed-reads.ts). */
  get borrowsReads(): boolean {
    return this.borrowing;
  }

  handleClose(): void {
    this.closedSocket = true;
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
    this.releaseBacklog();
    this.setFailure(socketClosedError(message, cause));
  }

  /** True once we started closing the connection ourselves (`close`). */
  get closedLocally(): boolean {
    return this.closePromise !== undefined;
  }

  /**
   * The peer ended while part of a read still waited for quota: those bytes were sent before the
   * end and are already in memory, so the session frames them with the rest (its end-of-stream
   * pump) instead of losing them; they are charged, as a debt (test: regulated-download-faults).
   */
  private releaseBacklog(): void {
    const backlog = this.backlog;
    if (!backlog) return;
    this.backlog = undefined;
    this.input.push(backlog);
    this.io!.download!.charge(this.downShare!, backlog.length);
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

/**
 * CONNECTION_CLOSED for an end the socket reported, or a local close nobody waited on, built
 * without a stack trace: its frames would be the event emitter's and the transport's, and
 * capturing them would cost handshake-churn CPU for nothing (bench/handshake-cpu.ts measures it).
 */
function socketClosedError(message: string, cause?: Error): ConnectionClosedError {
  const options = cause === undefined ? undefined : { cause };
  const limit: unknown = Error.stackTraceLimit;
  // Not a positive number (deleted, say): V8 captures no stack anyway, and writing it back would
  // leave a property the application removed (test: stack-trace-limit-restored).
  if (typeof limit !== 'number' || !(limit > 0)) return new ConnectionClosedError(message, options);
  // Reflect.set: where the limit cannot be written (frozen intrinsics) the error keeps its stack
  // instead of the assignment throwing from a socket event.
  Reflect.set(Error, 'stackTraceLimit', 0);
  try {
    return new ConnectionClosedError(message, options);
  } finally {
    Reflect.set(Error, 'stackTraceLimit', limit);
  }
}

function probeTransport(transport: SessionTransport): void {
  transport.probePeer();
}

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

function onSocketClose(this: OwnedSocket): void {
  this[OWNER]?.handleClose();
}

/** Destroys `socket` with a TCP reset where it can (in-memory duplexes used by tests have none). */
function destroyWithReset(socket: Socket): void {
  if (typeof socket.resetAndDestroy === 'function' && !socket.connecting) socket.resetAndDestroy();
  else socket.destroy();
}
