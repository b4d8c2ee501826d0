/**
 * The socket end of a session: received bytes, writes, byte counters and teardown.
 *
 * During the handshake it serves exact-length reads (`readExact`); once the session is
 * established, `onInput` is set and every received buffer goes straight to the stream decoder.
 * Listeners are module-level functions bound through a symbol, so nothing is allocated per
 * event (a lesson from ws: it matters at thousands of connections).
 */
import type { Socket } from 'node:net';
import { ConnectionClosedError, type P2pError } from '../errors.ts';
import { canonicalHost } from '../wire/point.ts';
import { ByteQueue } from './byte-queue.ts';
import { TrafficStats } from './traffic-stats.ts';

const OWNER = Symbol('p2p-socket.transport');
type OwnedSocket = Socket & { [OWNER]?: SessionTransport };

/** Bytes buffered during the handshake before reading pauses: two maximal chunks and a connection message. */
export const HANDSHAKE_INPUT_LIMIT = 3 * 65537;

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
  private closePromise: Promise<void> | undefined;
  /** Resolves once the socket is closed, whoever closed it. */
  readonly ended: Promise<void>;

  constructor(socket: Socket, inputLimit: number) {
    this.socket = socket;
    this.inputLimit = inputLimit;
    (socket as OwnedSocket)[OWNER] = this;
    socket.setNoDelay?.(true); // absent on in-memory duplexes used by tests
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    this.ended = socket.closed ? Promise.resolve() : new Promise<void>((resolve) => socket.once('close', () => resolve()));
    if (socket.isPaused()) socket.resume();
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
   * Writes bytes that are ready for the wire. Writes in one tick are corked together and go to
   * the kernel as one writev when the tick ends.
   */
  write(bytes: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(uncorkTransport, this);
    }
    this.socket.write(bytes);
    this.stats.addSent(bytes.length);
  }

  /** Ends the corked batch of this tick (scheduled by `write`). */
  uncork(): void {
    this.corked = false;
    this.socket.uncork();
  }

  /** True when the socket wants us to wait for 'drain' before writing more. */
  get congested(): boolean {
    return this.socket.writableNeedDrain;
  }

  /** Stops reading: no more 'data' until `resume`. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    if (!this.failure) this.socket.resume();
  }

  /** Marks the transport failed, fails a pending read, and destroys the socket. */
  fail(error: P2pError): void {
    this.setFailure(error);
    this.input.clear();
    this.socket.destroy();
  }

  /**
   * Graceful close: flush what was handed to the socket, send FIN, keep reading (and dropping)
   * until the peer closes too, so the kernel does not answer unread data with a reset; destroy
   * after CLOSE_GRACE_MS at the latest. A pending read fails with `reason`.
   */
  close(reason: P2pError = new ConnectionClosedError('connection closed locally')): Promise<void> {
    if (this.closePromise) return this.closePromise;
    this.setFailure(reason);
    this.onInput = undefined;
    this.input.clear();
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
    this.input.push(data);
    if (this.onInput) {
      this.onInput();
      return;
    }
    const waiter = this.waiter;
    if (waiter && this.input.length >= waiter.need) {
      this.waiter = undefined;
      waiter.resolve(this.takeHandshakeBytes(waiter.need));
    }
    if (this.input.length > this.inputLimit) this.socket.pause();
  }

  handleEnd(message: string): void {
    // 'end' and 'close' both land here; an error object captures a stack (8.8% of handshake-churn
    // CPU in bench:load W3), so build one only for the first.
    if (!this.failure) this.setFailure(new ConnectionClosedError(message));
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

function uncorkTransport(transport: SessionTransport): void {
  transport.uncork();
}

function onSocketData(this: OwnedSocket, data: Buffer): void {
  this[OWNER]?.handleData(data);
}

function onSocketEnd(this: OwnedSocket): void {
  this[OWNER]?.handleEnd('connection closed by peer');
}

function onSocketError(this: OwnedSocket, error: Error): void {
  this[OWNER]?.handleEnd(`connection error: ${error.message}`);
}

function onSocketClose(this: OwnedSocket): void {
  this[OWNER]?.handleEnd('connection closed');
}
