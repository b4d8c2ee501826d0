/**
 * An accepted connection: typed messages over the encrypted chunk stream (protocol.md §9.4).
 */
import { EventEmitter } from 'node:events';
import { ConnectionClosedError, EncodingError, P2pError } from '../shared/errors.ts';
import type { ConnectionInfo } from '../shared/session/handshake.ts';
import type { NetworkVersion } from '../shared/wire/network-version.ts';
import { withDeadline } from '../shared/session/deadline.ts';
import type { CloseOutcome, SessionEnd } from '../shared/session/session-end.ts';
import { asDecodingError } from '../shared/session/handshake.ts';
import type { Settlers } from '../shared/session/abortable.ts';
import type { FramedMessage } from '../shared/session/message-framer.ts';
import {
  copyEncodedMessage as copyEncoded,
  encodeFramedMessage,
  type EncodedMessage,
} from '../shared/session/encoded-message.ts';
import type { BroadcastBatch } from './broadcast-batch.ts';
import type { SessionBackend } from './session-backend.ts';
import type { Stat } from '../shared/session/traffic-stats.ts';
import type { MessageCodec } from './codecs.ts';
import { validateCloseOptions } from './validate-options.ts';
import { describeValue } from './describe-value.ts';
import { nextConnectionId } from './connection-id.ts';

export type { EncodedMessage } from '../shared/session/encoded-message.ts';
export type { Stat } from '../shared/session/traffic-stats.ts';
export type { CloseOutcome, SessionEnd } from '../shared/session/session-end.ts';

/** How long `close({ wait: true })` waits for the queue to drain by default before dropping the rest. */
export const DEFAULT_CLOSE_TIMEOUT = 10_000;

/** A received message and the stream bytes it used (prefix + body), as OCaml's `read` gives. */
export interface Received<Msg> {
  readonly size: number;
  readonly message: Msg;
}

export interface CloseOptions {
  /**
   * Graceful close: send what is already queued, then close (the peer sees an orderly end).
   * Default false, the immediate close: what is queued is dropped, the promise says how much,
   * and when that was anything the socket is reset, so the peer sees ECONNRESET.
   */
  readonly wait?: boolean;
  /**
   * With `wait`: milliseconds the whole close may take (default DEFAULT_CLOSE_TIMEOUT, 10 s),
   * the flush to a peer that does not read included. Past it, the close goes on as an immediate
   * one: what is left is dropped, the socket is reset, and the promise resolves with what it dropped.
   */
  readonly timeout?: number;
  /** Why, for logs (`addClosingReason`). */
  readonly reason?: string;
  /**
   * Stops waiting (`wait`) when aborted: what is still queued is dropped and the promise rejects
   * at once with ABORTED (TIMEOUT for `AbortSignal.timeout`), and the socket is reset as past
   * `timeout` (`ended` resolves when it is gone).
   */
  readonly signal?: AbortSignal;
}

/** An accepted connection's info: the handshake's, plus the version both sides use. */
export interface AcceptedInfo<Meta> extends ConnectionInfo<Meta> {
  /**
   * The version agreed for this connection: in a pool, the one its accept policy selected; with
   * `accept`, our chain with the lower of the two announced distributed-db and p2p versions.
   */
  readonly negotiatedVersion: NetworkVersion;
}

/**
 * Events: `'drain'` once the outgoing queue has room again after `writeNow` returned `false`
 * (as `stream.Writable`'s). A connection emits no `'error'` event: every failure is the
 * rejection of the call that met it (`read`, `write`, the async iterator …).
 */
export interface ConnectionEvents {
  drain: [];
  close: [CloseReason];
}

/** The `'close'` event's argument: how the connection ended, once its socket is gone. */
export interface CloseReason extends SessionEnd {
  /** The peer reset the connection: it closed at once and dropped what it had queued for us. */
  readonly reset: boolean;
  /** The reasons recorded with `close({ reason })` and `addClosingReason`. */
  readonly reasons: readonly string[];
}


export class Connection<Msg, Meta> extends EventEmitter<ConnectionEvents> implements AsyncDisposable {
  /** Process-unique id; `equals` compares it (OCaml compares fd ids). */
  readonly id = nextConnectionId();
  readonly info: AcceptedInfo<Meta>;
  private readonly session: SessionBackend;
  private readonly codec: MessageCodec<Msg>;
  private readonly chunkContentSize: number;
  private readonly maxMessageSize: number;
  private readonly reasons: string[] = [];
  /** A `'drain'` is owed: `writeNow` returned false and room has not come back yet. */
  private drainOwed = false;
  /** Messages queued for sending and messages delivered (the pool's metrics sum them). */
  private sentCount = 0;
  private receivedCount = 0;
  /** The settlers of the one `read` waiting through `readWaiter` (methods: bivariant, so a Connection<T> stays a Connection<unknown>). */
  private waiting: { resolve(received: Received<Msg>): void; reject(error: Error): void } | undefined;
  /** Made on the first waiting read: idle connections do without (bench/idle-memory.ts). */
  private readWaiter: Settlers<FramedMessage> | undefined;
  /** Reads waiting through `session.read` (they decode a microtask after delivery). */
  private readsDecodingLater = 0;
  /** A message did not decode: nothing received after it is delivered (protocol.md §9.2). */
  private undecodable = false;

  /** @internal built by `AuthenticatedConnection.accept` */
  constructor(info: AcceptedInfo<Meta>, session: SessionBackend, codec: MessageCodec<Msg>, chunkContentSize: number, maxMessageSize: number) {
    super();
    this.info = info;
    this.session = session;
    this.codec = codec;
    this.chunkContentSize = chunkContentSize;
    this.maxMessageSize = maxMessageSize;
    session.listenForEnd(this);
  }

  /** @internal the session's socket is gone: the `'close'` event. */
  sessionEnded(end: SessionEnd): void {
    const reset = end.error?.code === 'CONNECTION_CLOSED' && (end.error as ConnectionClosedError).systemCode === 'ECONNRESET';
    this.emit('close', { ...end, reset, reasons: this.reasons });
  }

  /**
   * Waits for the next message. Rejects with the error that ended the stream (DECIPHER_ERROR,
   * DECODING_ERROR, INVALID_INCOMING_CIPHERTEXT_SIZE …) once, after the messages received before
   * it, then with CONNECTION_CLOSED. A message that does not decode ends the connection.
   */
  read(options?: { signal?: AbortSignal }): Promise<Received<Msg>> {
    // A message already queued resolves at once (one promise, no option object, no await hop):
    // a reader that drains a burst with `read` pays per message what `readNow` does.
    try {
      const framed = this.session.readNow();
      if (framed) return Promise.resolve(this.received(framed));
      const signal = options?.signal;
      // Not behind a read that decodes later: this one would decode first, and could deliver the
      // message after one that does not decode (test: decoding-error-concurrent-reads).
      if (signal === undefined && this.waiting === undefined && this.readsDecodingLater === 0) {
        // One promise, settled with the decoded message by a waiter made once: no `then` promise,
        // no closures and no microtask hop per wait (a W2 echo reader waits once per message).
        // A second read while this one waits takes the general path, behind it in the session's queue.
        return new Promise<Received<Msg>>((resolve, reject) => {
          this.waiting = { resolve, reject };
          this.session.waitForMessage((this.readWaiter ??= this.makeReadWaiter()));
        });
      }
      this.readsDecodingLater++;
      return this.session.read(signal).then(
        (waited) => {
          this.readsDecodingLater--;
          return this.received(waited);
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

  private received(framed: FramedMessage, delivering = false): Received<Msg> {
    return { size: framed.size, message: this.decode(framed.body, delivering) };
  }

  /**
   * Settles `waiting` with the message decoded as the session delivers it. A decoding error
   * rejects the read; the teardown it causes waits for a microtask, so the session finishes the
   * chunk it is framing first, as when `read` decoded in a `then`.
   */
  private makeReadWaiter(): Settlers<FramedMessage> {
    return {
      resolve: (framed: FramedMessage): void => {
        const waiting = this.waiting!;
        this.waiting = undefined;
        let received: Received<Msg>;
        try {
          received = this.received(framed, true);
        } catch (error) {
          waiting.reject(error as Error);
          return;
        }
        waiting.resolve(received);
      },
      reject: (error: P2pError): void => {
        const waiting = this.waiting!;
        this.waiting = undefined;
        waiting.reject(error);
      },
    };
  }

  /**
   * The messages, in order, for `for await (const { message } of conn)`. The loop ends when the
   * connection closes (CONNECTION_CLOSED); any other error that ends the stream (DECIPHER_ERROR,
   * DECODING_ERROR …) is thrown from the loop. Leaving the loop early (`break`, `return`, a throw
   * in its body) closes the connection gracefully, as `close({ wait: true })`.
   * When the peer leaves, its end comes a turn after the last messages it sent, in both modes: a
   * loop that handles each message without waiting for I/O gets them all while `write` still
   * succeeds; a slower one sees `closed` first (writes reject) and still gets them, then ends.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<Received<Msg>, void, undefined> {
    let ended = false;
    try {
      for (;;) {
        let received: Received<Msg>;
        try {
          received = await this.read();
        } catch (error) {
          ended = true;
          if (error instanceof P2pError && error.code === 'CONNECTION_CLOSED') return;
          throw error;
        }
        yield received;
      }
    } finally {
      if (!ended) await this.close({ wait: true });
    }
  }

  /** `await using conn = …`: a graceful close at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close({ wait: true });
  }

  /** The next message if one is queued, else `undefined`; throws like `read`. */
  readNow(): Received<Msg> | undefined {
    const framed = this.session.readNow();
    return framed && this.received(framed);
  }

  /** Queues a message, waiting while the outgoing queue is full. CONNECTION_CLOSED if closed. */
  async write(message: Msg, options?: { signal?: AbortSignal }): Promise<void> {
    await this.session.write(this.encode(message), options?.signal);
    this.sentCount++;
  }

  /**
   * Queues a message if there is room: `true` queued, `false` dropped. After `false`, wait with
   * `writable()` or for the `'drain'` event before writing more. Throws CONNECTION_CLOSED if closed.
   */
  writeNow(message: Msg): boolean {
    return this.owesDrainUnless(this.session.writeNow(this.encode(message)));
  }

  /**
   * Resolves once the outgoing queue is at most half of `outgoingMessageQueueSize` with no writer
   * waiting: room for `writeNow`. Rejects with CONNECTION_CLOSED once the connection is closed, and with
   * ABORTED or TIMEOUT when `signal` aborts.
   */
  writable(options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.session.whenWritable(options.signal);
  }

  /**
   * Queues a message like `write` (waiting for room), then resolves once it is encrypted and
   * handed to the socket: "sync" as in synchronised with the socket (OCaml's `write_sync`), not
   * a blocking call. Slower than `write`; for a message whose departure the caller must know
   * about (the last one before `close`, a reply to time). CONNECTION_CLOSED if the connection
   * closes first; aborting `signal` stops the wait, not a message already queued.
   */
  async writeSync(message: Msg, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.session.writeSync(this.encode(message), options.signal);
    this.sentCount++;
  }

  /**
   * Encodes and cuts a message for this connection's chunk size, to write later (once). A message
   * the codec cannot encode (with the bytes codec: anything but a Buffer or Uint8Array) is an
   * ENCODING_ERROR, here and in `write`, `writeNow`, `writeSync` and `pool.broadcast`.
   */
  encode(message: Msg): EncodedMessage {
    let body: Uint8Array;
    try {
      body = this.codec.encode(message);
    } catch (error) {
      if (error instanceof P2pError) throw error;
      throw new EncodingError(String(error), { cause: error });
    }
    if (!(body instanceof Uint8Array)) throw new EncodingError(`codec.encode must return a Uint8Array, got ${describeValue(body)}`);
    if (body.length + 4 > this.maxMessageSize) {
      throw new EncodingError(`message of ${body.length} bytes exceeds the limit of ${this.maxMessageSize}`);
    }
    return encodeFramedMessage(body, this.chunkContentSize);
  }

  /**
   * Queues a pre-encoded message if there is room. Its bytes are encrypted in place, so an
   * encoded message can be written once: use `copyEncodedMessage` to send it to several peers.
   */
  writeEncodedNow(message: EncodedMessage): boolean {
    return this.owesDrainUnless(this.session.writeNow(message));
  }

  /**
   * This connection's share of `pool.broadcast`: the batch's one encoding for this chunk size,
   * queued if there is room (as `writeNow`, `'drain'` follows a refusal). False when closed.
   * @internal
   */
  joinBroadcast(batch: BroadcastBatch<Msg>): boolean {
    const layout = batch.layoutFor(this.chunkContentSize, () => this.encode(batch.message));
    const queued = batch.offer(this.session, layout);
    return this.session.closed ? queued : this.owesDrainUnless(queued);
  }

  /** Deep copy of an encoded message (protocol.md §9.4 `copy_encoded_message`). */
  copyEncodedMessage(message: EncodedMessage): EncodedMessage {
    return copyEncoded(message);
  }

  /** Wire bytes sent and received (handshake included) and current rates (protocol.md §12.2). */
  stat(): Stat {
    return this.session.stat();
  }

  /** Messages this connection queued for sending, and messages it delivered to its reader. */
  get messageCounts(): { readonly sent: number; readonly received: number } {
    return { sent: this.sentCount, received: this.receivedCount };
  }

  /**
   * Closes the connection; see `CloseOptions`. Resolves once the socket is closed, with what the
   * close dropped of the outgoing queue.
   */
  async close(options: CloseOptions = {}): Promise<CloseOutcome> {
    validateCloseOptions(options);
    if (options.reason !== undefined) this.reasons.push(options.reason);
    const wait = options.wait ?? false;
    const closing = this.session.close(wait);
    if (!wait) return closing;
    // Past the bound, a close without wait overtakes the waiting one; both settle with its outcome.
    const timer = setTimeout(() => void this.session.close(false), options.timeout ?? DEFAULT_CLOSE_TIMEOUT);
    const bounded = closing.finally(() => clearTimeout(timer));
    if (!options.signal) return bounded;
    // On abort, the same, and the promise rejects at once (`ended` tells when the socket is gone).
    return withDeadline(bounded, { signal: options.signal }, () => void this.session.close(false));
  }

  /**
   * Bytes of messages accepted for sending and not yet handed to the socket, each counted as its
   * encoded layout plus a fixed entry cost (OUTGOING_ENTRY_COST): what `outgoingMessageQueueSize`
   * bounds. `writeNow` refuses a message when this plus its cost would reach the bound, unless
   * nothing is queued. The same in both modes; with shards, a message counts until its shard
   * reports it handed to the socket.
   */
  get queuedOutgoingBytes(): number {
    return this.session.queuedOutgoingBytes;
  }

  /** Records why the connection is closing, for logs; no wire effect. */
  addClosingReason(reason: string): void {
    this.reasons.push(reason);
  }

  /** The reasons recorded so far. */
  get closingReasons(): readonly string[] {
    return this.reasons;
  }

  get localMetadata(): Meta {
    return this.info.localMetadata;
  }

  get remoteMetadata(): Meta {
    return this.info.remoteMetadata;
  }

  /** Whether the peer announced itself private (from its metadata). */
  get privateNode(): boolean {
    return this.info.privateNode;
  }

  /**
   * True as soon as no more can be written: `close()` was called, or the peer or an error ended
   * the connection. Messages already received may still be read. `ended` says when all is done.
   */
  get closed(): boolean {
    return this.session.closed;
  }

  /**
   * Resolves once the connection is gone: its socket is closed, whoever closed it. Never
   * rejects; `closed` is already true by then. The same promise on every read.
   */
  get ended(): Promise<void> {
    return this.session.ended;
  }

  equals(other: Connection<unknown, unknown>): boolean {
    return this.id === other.id;
  }

  toString(): string {
    const { idPoint, peerId, incoming } = this.info;
    const point = idPoint.port === undefined ? idPoint.host : `${formatHost(idPoint.host)}:${idPoint.port}`;
    return `Connection#${this.id}(${incoming ? 'from' : 'to'} ${peerId} at ${point})`;
  }

  /** After a refused `writeNow`, emits `'drain'` once there is room again. */
  private owesDrainUnless(queued: boolean): boolean {
    if (queued) this.sentCount++;
    if (!queued && !this.drainOwed) {
      this.drainOwed = true;
      this.session.whenWritable().then(
        () => {
          this.drainOwed = false;
          this.emit('drain');
        },
        () => (this.drainOwed = false),
      );
    }
    return queued;
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
    this.receivedCount++;
    return message;
  }
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
