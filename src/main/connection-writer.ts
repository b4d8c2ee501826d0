/**
 * The writing side of a Connection: encodes and cuts messages for its chunk size, counts what
 * it queued, and owes a `'drain'` after a refused `writeNow` until there is room again.
 */
import { EncodingError, P2pError } from '../shared/errors.ts';
import { encodeFramedMessage, type EncodedMessage } from '../shared/session/encoded-message.ts';
import type { MessageCodec } from './codecs.ts';
import { describeValue } from './describe-value.ts';
import type { SessionBackend } from './session-backend.ts';

/** What emits the `'drain'` the writer owes. */
export interface DrainEmitter {
  emit(event: 'drain'): boolean;
}

export class ConnectionWriter<Msg> {
  private readonly session: SessionBackend;
  private readonly codec: MessageCodec<Msg>;
  private readonly chunkContentSize: number;
  private readonly maxMessageSize: number;
  /** The connection, which emits `'drain'`. */
  private readonly emitter: DrainEmitter;
  /** A `'drain'` is owed: `writeNow` returned false and room has not come back yet. */
  private drainOwed = false;
  /** Messages queued for sending (the pool's metrics sum them). */
  sent = 0;

  constructor(session: SessionBackend, codec: MessageCodec<Msg>, chunkContentSize: number, maxMessageSize: number, emitter: DrainEmitter) {
    this.session = session;
    this.codec = codec;
    this.chunkContentSize = chunkContentSize;
    this.maxMessageSize = maxMessageSize;
    this.emitter = emitter;
  }

  /** `Connection.encode`: the layout is the caller's for good. */
  encode(message: Msg): EncodedMessage {
    return encodeFramedMessage(this.encodeBody(message), this.chunkContentSize);
  }

  /** `encode` for the connection's own writes: the layout may come from the layout pool and go back to it once written. */
  encodeOwn(message: Msg): EncodedMessage {
    return encodeFramedMessage(this.encodeBody(message), this.chunkContentSize, true);
  }

  /** The codec's bytes for `message`, checked (ENCODING_ERROR). */
  private encodeBody(message: Msg): Uint8Array {
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
    return body;
  }

  /** Counts a queued message; after a refused one, emits `'drain'` once there is room again. */
  owesDrainUnless(queued: boolean): boolean {
    if (queued) this.sent++;
    if (!queued && !this.drainOwed) {
      this.drainOwed = true;
      this.session.whenWritable().then(
        () => {
          this.drainOwed = false;
          this.emitter.emit('drain');
        },
        () => (this.drainOwed = false),
      );
    }
    return queued;
  }
}
