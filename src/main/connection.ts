/**
 * An accepted connection: typed messages over the encrypted chunk stream (protocol.md §9.4).
 */
import { EventEmitter } from 'node:events';
import { P2pError, type ConnectionClosedError } from '../shared/errors.ts';
import type { ConnectionInfo } from '../shared/session/handshake.ts';
import type { NetworkVersion } from '../shared/wire/network-version.ts';
import { withDeadline } from '../shared/session/deadline.ts';
import type { CloseOutcome, SessionEnd } from '../shared/session/session-end.ts';
import { copyEncodedMessage as copyEncoded, type EncodedMessage } from '../shared/session/encoded-message.ts';
import { layoutPool } from '../shared/session/layout-pool.ts';
import type { BroadcastBatch } from './broadcast-batch.ts';
import type { SessionBackend } from './session-backend.ts';
import type { Stat } from '../shared/session/traffic-stats.ts';
import type { MessageCodec } from './codecs.ts';
import { validateCloseOptions } from './validate-options.ts';
import { nextConnectionId } from './connection-id.ts';
import { ConnectionReader, type Received } from './connection-reader.ts';
import { ConnectionWriter } from './connection-writer.ts';
import type { LentMessage } from './lent-message.ts';

export type { EncodedMessage } from '../shared/session/encoded-message.ts';
export type { Stat } from '../shared/session/traffic-stats.ts';
export type { CloseOutcome, SessionEnd } from '../shared/session/session-end.ts';
export type { Received } from './connection-reader.ts';
export type { LentMessage } from './lent-message.ts';

/** How long `close({ wait: true })` waits for the queue to drain by default before dropping the rest. */
export const DEFAULT_CLOSE_TIMEOUT = 10_000;

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

/** @internal learns that a connection ended (connection-registry.ts). */
export interface ConnectionEndWatcher<Msg, Meta> {
  connectionEnded(conn: Connection<Msg, Meta>, reason: CloseReason): void;
}

export class Connection<Msg, Meta> extends EventEmitter<ConnectionEvents> implements AsyncDisposable {
  /** Process-unique id; `equals` compares it (OCaml compares fd ids). */
  readonly id = nextConnectionId();
  readonly info: AcceptedInfo<Meta>;
  private readonly session: SessionBackend;
  private readonly codec: MessageCodec<Msg>;
  private readonly chunkContentSize: number;
  private readonly maxMessageSize: number;
  /** Closing reasons, made when the first is recorded or asked for: most connections have none. */
  private reasons: string[] | undefined;
  /** Reading and writing, each made on first use: an idle connection does without (test/idle-connection-memory.test.ts). */
  private reader: ConnectionReader<Msg> | undefined;
  private writer: ConnectionWriter<Msg> | undefined;
  /**
   * @internal the pool's registry, told of the end before the `'close'` listeners: one reference,
   * where a `'close'` listener and a reaction to `ended` cost every idle connection ~380 B.
   */
  endWatcher: ConnectionEndWatcher<Msg, Meta> | undefined;
  /** @internal how the connection ended, once it has: a watcher set later learns it at once. */
  endedWith: CloseReason | undefined;

  /** @internal built by `AuthenticatedConnection.accept` */
  constructor(info: AcceptedInfo<Meta>, session: SessionBackend, codec: MessageCodec<Msg>, chunkContentSize: number, maxMessageSize: number) {
    super();
    // EventEmitter makes its listener table up front, a null-prototype object in dictionary mode
    // (~180 B); Node's EventEmitter makes it on the first `on` when it is absent, and most
    // connections never get a listener.
    (this as unknown as { _events: object | undefined })._events = undefined;
    this.info = info;
    this.session = session;
    this.codec = codec;
    this.chunkContentSize = chunkContentSize;
    this.maxMessageSize = maxMessageSize;
    session.listenForEnd(this);
  }

  private get reading(): ConnectionReader<Msg> {
    return (this.reader ??= new ConnectionReader(this.session, this.codec));
  }

  private get writing(): ConnectionWriter<Msg> {
    return (this.writer ??= new ConnectionWriter(this.session, this.codec, this.chunkContentSize, this.maxMessageSize, this));
  }

  /** @internal the session's socket is gone: the pool's registry learns it, then the `'close'` event. */
  sessionEnded(end: SessionEnd): void {
    const reset = end.error?.code === 'CONNECTION_CLOSED' && (end.error as ConnectionClosedError).systemCode === 'ECONNRESET';
    const reason: CloseReason = { ...end, reset, reasons: (this.reasons ??= []) };
    this.endedWith = reason;
    this.endWatcher?.connectionEnded(this, reason);
    this.emit('close', reason);
  }

  /**
   * Waits for the next message. Rejects with the error that ended the stream (DECIPHER_ERROR,
   * DECODING_ERROR, INVALID_INCOMING_CIPHERTEXT_SIZE …) once, after the messages received before
   * it, then with CONNECTION_CLOSED. A message that does not decode ends the connection.
   */
  read(options?: { signal?: AbortSignal }): Promise<Received<Msg>> {
    return this.reading.read(options);
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
    return this.reading.readNow();
  }

  /**
   * Waits for the next message like `read`, and lends its body instead of giving it: the raw body
   * bytes (the codec is not applied), valid until `release()` or the next `readLent` /
   * `readLentNow` on this connection, whichever comes first. Then the library takes the memory back
   * and may assemble a later message into it, so a server that parses and drops makes no garbage
   * per message. A held body still counts against `incomingMessageQueueSize` and the pool's
   * `maxPendingMessageBytes` until released. `read`, `readNow` and the async iterator take the
   * following messages as usual and leave the lent body alone. See api.md, "Lent messages".
   */
  readLent(options?: { signal?: AbortSignal }): Promise<LentMessage> {
    return this.reading.readLent(options);
  }

  /** The next message lent, if one is queued, else `undefined`; throws like `readNow`. Ends the lend before, as `readLent`. */
  readLentNow(): LentMessage | undefined {
    return this.reading.readLentNow();
  }

  /** Queues a message, waiting while the outgoing queue is full. CONNECTION_CLOSED if closed. */
  async write(message: Msg, options?: { signal?: AbortSignal }): Promise<void> {
    await this.session.write(this.writing.encodeOwn(message), options?.signal);
    this.writing.sent++;
  }

  /**
   * Queues a message if there is room: `true` queued, `false` dropped. After `false`, wait with
   * `writable()` or for the `'drain'` event before writing more. Throws CONNECTION_CLOSED if closed.
   */
  writeNow(message: Msg): boolean {
    const encoded = this.writing.encodeOwn(message);
    const queued = this.session.writeNow(encoded);
    // Refused, the layout was never anyone's but this call's: back to the pool.
    if (!queued && encoded.recyclable) layoutPool.give(encoded.buffer);
    return this.writing.owesDrainUnless(queued);
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
    await this.session.writeSync(this.writing.encodeOwn(message), options.signal);
    this.writing.sent++;
  }

  /**
   * Encodes and cuts a message for this connection's chunk size, to write later (once). A message
   * the codec cannot encode (with the bytes codec: anything but a Buffer or Uint8Array) is an
   * ENCODING_ERROR, here and in `write`, `writeNow`, `writeSync` and `pool.broadcast`.
   */
  encode(message: Msg): EncodedMessage {
    return this.writing.encode(message);
  }

  /**
   * Queues a pre-encoded message if there is room. Its bytes are encrypted in place, so an
   * encoded message can be written once: use `copyEncodedMessage` to send it to several peers.
   */
  writeEncodedNow(message: EncodedMessage): boolean {
    return this.writing.owesDrainUnless(this.session.writeNow(message));
  }

  /**
   * This connection's share of `pool.broadcast`: the batch's one encoding for this chunk size,
   * queued if there is room (as `writeNow`, `'drain'` follows a refusal). False when closed.
   * @internal
   */
  joinBroadcast(batch: BroadcastBatch<Msg>): boolean {
    const layout = batch.layoutFor(this.chunkContentSize, () => this.writing.encode(batch.message));
    const queued = batch.offer(this.session, layout);
    return this.session.closed ? queued : this.writing.owesDrainUnless(queued);
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
    return { sent: this.writer?.sent ?? 0, received: this.reader?.received ?? 0 };
  }

  /**
   * Closes the connection; see `CloseOptions`. Resolves once the socket is closed, with what the
   * close dropped of the outgoing queue.
   */
  async close(options: CloseOptions = {}): Promise<CloseOutcome> {
    validateCloseOptions(options);
    if (options.reason !== undefined) (this.reasons ??= []).push(options.reason);
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
    (this.reasons ??= []).push(reason);
  }

  /** The reasons recorded so far. */
  get closingReasons(): readonly string[] {
    return (this.reasons ??= []);
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
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
