/**
 * The reading side of a Connection: takes framed messages from the session, decodes them with
 * the codec, and ends the connection at the first message that does not decode (protocol.md
 * §9.2). `Connection.read`, `readNow` and the async iterator read through it.
 */
import { ConnectionClosedError, type P2pError } from '../shared/errors.ts';
import type { Settlers } from '../shared/session/abortable.ts';
import { asDecodingError } from '../shared/session/handshake.ts';
import type { FramedMessage } from '../shared/session/message-framer.ts';
import type { MessageCodec } from './codecs.ts';
import type { LentMessage } from './lent-message.ts';
import type { SessionBackend } from './session-backend.ts';

/** A received message and the stream bytes it used (prefix + body), as OCaml's `read` gives. */
export interface Received<Msg> {
  readonly size: number;
  readonly message: Msg;
}

/** A promise's resolve function; a method's type, bivariant, so a Connection<T> stays a Connection<unknown>. */
type Resolve<T> = { settle(value: T): void }['settle'];

/** What the last `captureSettlers` call was given, taken by its caller at once. */
let capturedResolve: Resolve<never> | undefined;
let capturedReject: ((error: Error) => void) | undefined;

/** A promise executor that keeps its settlers where the caller takes them: no closure per promise. */
function captureSettlers(resolve: Resolve<never>, reject: (error: Error) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

export class ConnectionReader<Msg> implements Settlers<FramedMessage> {
  private readonly session: SessionBackend;
  private readonly codec: MessageCodec<Msg>;
  /** Messages delivered to the reader (the pool's metrics sum them). */
  received = 0;
  /** The settlers of the one `read` waiting through the session (`resolve`, `reject`); unset when none waits. */
  private waitingResolve: Resolve<Received<Msg>> | undefined;
  private waitingReject: ((error: Error) => void) | undefined;
  /** Reads waiting through `session.read` (they decode a microtask after delivery). */
  private readsDecodingLater = 0;
  /** A message did not decode: nothing received after it is delivered (protocol.md §9.2). */
  private undecodable = false;

  constructor(session: SessionBackend, codec: MessageCodec<Msg>) {
    this.session = session;
    this.codec = codec;
  }

  /** `Connection.read`. */
  read(options?: { signal?: AbortSignal }): Promise<Received<Msg>> {
    // A message already queued resolves at once (one promise, no option object, no await hop):
    // a reader that drains a burst with `read` pays per message what `readNow` does.
    try {
      const framed = this.session.readNow();
      if (framed) return Promise.resolve(this.decoded(framed));
      const signal = options?.signal;
      // Not behind a read that decodes later: this one would decode first, and could deliver the
      // message after one that does not decode (test: decoding-error-concurrent-reads).
      if (signal === undefined && this.waitingResolve === undefined && this.readsDecodingLater === 0) {
        // One promise, settled with the decoded message by a waiter made once: no `then` promise,
        // no closures and no microtask hop per wait (a W2 echo reader waits once per message).
        // The executor captures nothing (`captureSettlers`): no closure, context or settlers
        // object per wait either, only the promise and its resolving functions.
        // A second read while this one waits takes the general path, behind it in the session's queue.
        const promise = new Promise<Received<Msg>>(captureSettlers);
        this.waitingResolve = capturedResolve as Resolve<Received<Msg>>;
        this.waitingReject = capturedReject;
        capturedResolve = capturedReject = undefined;
        this.session.waitForMessage(this);
        return promise;
      }
      this.readsDecodingLater++;
      return this.session.read(signal).then(
        (waited) => {
          this.readsDecodingLater--;
          return this.decoded(waited);
        },
        (error: unknown) => {
          this.readsDecodingLater--;
          throw error;
        },
      );
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** `Connection.readLent`: the body is not decoded, so nothing here can end the connection. */
  readLent(options?: { signal?: AbortSignal }): Promise<LentMessage> {
    try {
      const lent = this.session.readLentNow();
      if (lent) {
        this.received++;
        return Promise.resolve(lent);
      }
      return this.session.readLent(options?.signal).then((waited) => {
        this.received++;
        return waited;
      });
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** `Connection.readLentNow`. */
  readLentNow(): LentMessage | undefined {
    const lent = this.session.readLentNow();
    if (lent) this.received++;
    return lent;
  }

  /** `Connection.readNow`. */
  readNow(): Received<Msg> | undefined {
    const framed = this.session.readNow();
    return framed && this.decoded(framed);
  }

  private decoded(framed: FramedMessage, delivering = false): Received<Msg> {
    return { size: framed.size, message: this.decode(framed.body, delivering) };
  }

  /**
   * Settlers of the one `read` waiting through the session (the reader is its own waiter: no
   * settlers object or closures per connection): settles it with the message decoded as the
   * session delivers it. A decoding error rejects the read; the teardown it causes waits for a
   * microtask, so the session finishes the chunk it is framing first, as when `read` decoded in a
   * `then`.
   */
  resolve(framed: FramedMessage): void {
    const resolve = this.waitingResolve!;
    const reject = this.waitingReject!;
    this.waitingResolve = this.waitingReject = undefined;
    let received: Received<Msg>;
    try {
      received = this.decoded(framed, true);
    } catch (error) {
      reject(error as Error);
      return;
    }
    resolve(received);
  }

  /** See `resolve`: the session ended the waiting read. */
  reject(error: P2pError): void {
    const reject = this.waitingReject!;
    this.waitingResolve = this.waitingReject = undefined;
    reject(error);
  }

  private dropAfterDecodingError(): void {
    this.session.discardIncoming();
    void this.session.close(false);
  }

  private decode(body: Buffer, delivering = false): Msg {
    // A read that waited beside the one that met the undecodable message, given what came after it.
    if (this.undecodable) throw new ConnectionClosedError();
    let message: Msg;
    try {
      message = this.codec.decode(body); // no closure per message (decodeWith takes one)
    } catch (error) {
      this.undecodable = true;
      // OCaml's reader stops at a decoding error and tears the connection down (protocol.md §9.2).
      if (delivering) queueMicrotask(() => this.dropAfterDecodingError());
      else this.dropAfterDecodingError();
      throw asDecodingError(error);
    }
    this.received++;
    return message;
  }
}
