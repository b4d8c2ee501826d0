/**
 * An accepted connection: typed messages over the encrypted chunk stream (protocol.md §9.4).
 */
import { EncodingError, P2pError } from '../shared/errors.ts';
import type { ConnectionInfo } from '../shared/session/handshake.ts';
import { decodeWith } from '../shared/session/handshake.ts';
import {
  copyEncodedMessage as copyEncoded,
  encodeFramedMessage,
  type EncodedMessage,
} from '../shared/session/encoded-message.ts';
import type { SessionBackend } from './session-backend.ts';
import type { Stat } from '../shared/session/traffic-stats.ts';
import type { MessageCodec } from './codecs.ts';

export type { EncodedMessage } from '../shared/session/encoded-message.ts';
export type { Stat } from '../shared/session/traffic-stats.ts';

/** A received message and the stream bytes it used (prefix + body), as OCaml's `read` gives. */
export interface Received<Msg> {
  readonly size: number;
  readonly message: Msg;
}

export interface CloseOptions {
  /** Send what is already queued before closing (default false: it is dropped). */
  readonly wait?: boolean;
  /** Why, for logs (`addClosingReason`). */
  readonly reason?: string;
}

let nextConnectionId = 1;

export class Connection<Msg, Meta> {
  /** Process-unique id; `equals` compares it (OCaml compares fd ids). */
  readonly id = nextConnectionId++;
  readonly info: ConnectionInfo<Meta>;
  private readonly session: SessionBackend;
  private readonly codec: MessageCodec<Msg>;
  private readonly chunkContentSize: number;
  private readonly maxMessageSize: number;
  private readonly reasons: string[] = [];

  /** @internal built by `AuthenticatedConnection.accept` */
  constructor(info: ConnectionInfo<Meta>, session: SessionBackend, codec: MessageCodec<Msg>, chunkContentSize: number, maxMessageSize: number) {
    this.info = info;
    this.session = session;
    this.codec = codec;
    this.chunkContentSize = chunkContentSize;
    this.maxMessageSize = maxMessageSize;
  }

  /**
   * Waits for the next message. Rejects with the error that ended the stream (DECIPHER_ERROR,
   * DECODING_ERROR, INVALID_INCOMING_CIPHERTEXT_SIZE …) once, after the messages received before
   * it, then with CONNECTION_CLOSED. A message that does not decode ends the connection.
   */
  async read(options: { signal?: AbortSignal } = {}): Promise<Received<Msg>> {
    const framed = await this.session.read(options.signal);
    return { size: framed.size, message: this.decode(framed.body) };
  }

  /** The next message if one is queued, else `undefined`; throws like `read`. */
  readNow(): Received<Msg> | undefined {
    const framed = this.session.readNow();
    return framed && { size: framed.size, message: this.decode(framed.body) };
  }

  /** Queues a message, waiting while the outgoing queue is full. CONNECTION_CLOSED if closed. */
  async write(message: Msg, options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.session.write(this.encode(message), options.signal);
  }

  /** Queues a message if there is room: `true` queued, `false` dropped. Throws CONNECTION_CLOSED if closed. */
  writeNow(message: Msg): boolean {
    return this.session.writeNow(this.encode(message));
  }

  /** Resolves once the message is encrypted and handed to the socket. */
  async writeSync(message: Msg, options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.session.writeSync(this.encode(message), options.signal);
  }

  /** Encodes and cuts a message for this connection's chunk size, to write later (once). */
  encode(message: Msg): EncodedMessage {
    let body: Uint8Array;
    try {
      body = this.codec.encode(message);
    } catch (error) {
      if (error instanceof P2pError) throw error;
      throw new EncodingError(String(error), { cause: error });
    }
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
    return this.session.writeNow(message);
  }

  /** Deep copy of an encoded message (protocol.md §9.4 `copy_encoded_message`). */
  copyEncodedMessage(message: EncodedMessage): EncodedMessage {
    return copyEncoded(message);
  }

  /** Wire bytes sent and received (handshake included) and current rates (protocol.md §12.2). */
  stat(): Stat {
    return this.session.stat();
  }

  /** Closes the connection; see `CloseOptions`. Resolves once the socket is closed. */
  close(options: CloseOptions = {}): Promise<void> {
    if (options.reason !== undefined) this.reasons.push(options.reason);
    return this.session.close(options.wait ?? false);
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

  /** True once closed (locally or by the peer) for writing. */
  get closed(): boolean {
    return this.session.closed;
  }

  /** Resolves once the connection is gone, closed locally or by the peer. */
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

  private decode(body: Buffer): Msg {
    try {
      return decodeWith(() => this.codec.decode(body));
    } catch (error) {
      // OCaml's reader stops at a decoding error and tears the connection down (protocol.md §9.2).
      this.session.discardIncoming();
      void this.session.close(false);
      throw error;
    }
  }
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
