/**
 * The peer-message codec: plugs into `accept`, `connect` and pools (`codec` option) in both pool
 * modes, and converts messages to and from their JSON form (docs/messages.md).
 */
import { Buffer } from 'node:buffer';
import type { MessageCodec } from '../main/codecs.ts';
import { DecodingError, EncodingError } from '../shared/errors.ts';
import type { Json, Layout } from './layout.ts';
import { LayoutFailure, LayoutReader, LayoutWriter } from './layout-cursor.ts';
import {
  framedLayout,
  MAVRYK_MAX_ENVIRONMENT_VERSION,
  payloadLayout,
  peerMessageLayout,
  type PeerMessage,
} from './peer-message.ts';

export interface PeerMessageCodecOptions {
  /**
   * Newest protocol environment version a `Protocol` message may name: 12 for Mavryk nodes (the
   * default), 17 for current Octez (`OCTEZ_MAX_ENVIRONMENT_VERSION`). Newer ones do not decode.
   */
  maxEnvironmentVersion?: number;
}

export interface PeerMessageCodec extends MessageCodec<PeerMessage> {
  /** `u16 tag ‖ body`. Throws EncodingError, with the field's `path`, for what a node would refuse. */
  encode(message: PeerMessage): Buffer;
  /**
   * Writes `u16 tag ‖ body` into `target` at `offset` and returns its length: `encode` without
   * allocating the result, for a caller that reuses a buffer. Checks the message as `encode` does
   * and throws EncodingError, leaving `target` untouched, when it fails or does not fit.
   */
  encodeInto(message: PeerMessage, target: Uint8Array, offset?: number): number;
  /** The length of `encode(message)`, with the same checks and errors, without writing it. */
  encodedSize(message: PeerMessage): number;
  /** Decodes exactly one message from `tag ‖ body`. Throws DecodingError with `reason` and `path`. */
  decode(body: Uint8Array): PeerMessage;
  /** The stream form: `u32 length ‖ tag ‖ body`. */
  encodeFramed(message: PeerMessage): Buffer;
  /** Decodes the stream form of exactly one message. */
  decodeFramed(bytes: Uint8Array): PeerMessage;
  /**
   * The JSON form `codec decode` prints: base58check hashes, hex bytes, 64-bit integers as decimal
   * strings. Throws EncodingError for a value whose kind is none of the messages'.
   */
  toJson(message: PeerMessage): Json;
  /** A message from its JSON form; throws EncodingError with the field's `path`. Bounds are checked by `encode`. */
  fromJson(json: unknown): PeerMessage;
  /** The largest `tag ‖ body` a valid message can take. */
  readonly maxSize: number;
}

function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function decodeWith<T>(layout: Layout<T>, shared: LayoutReader, bytes: Uint8Array): T {
  const buf = bufferOf(bytes);
  const reader = shared.busy ? new LayoutReader() : shared;
  reader.reset(buf, 0, buf.length);
  try {
    const value = layout.read(reader);
    if (reader.pos !== buf.length) throw new LayoutFailure('EXTRA_BYTES', `${buf.length - reader.pos} bytes after the message`);
    return value;
  } catch (error) {
    if (error instanceof LayoutFailure) throw new DecodingError(error.reason, error.detail, { path: error.path() || undefined });
    throw new DecodingError('USER_FUNCTION', String(error), { cause: error });
  } finally {
    reader.release();
  }
}

function encodingError(error: unknown): EncodingError {
  if (error instanceof LayoutFailure) return new EncodingError(`${error.detail} (${error.reason})`, { path: error.path() || undefined });
  return new EncodingError(String(error), { cause: error });
}

/** The encoded size of a value, after the checks a node's reader would make. */
function measureWith<T>(layout: Layout<T>, value: T): number {
  try {
    return layout.measure(value);
  } catch (error) {
    throw encodingError(error);
  }
}

/** Writes a measured value of `size` bytes at `offset`. */
function writeWith<T>(layout: Layout<T>, shared: LayoutWriter, value: T, size: number, target: Buffer, offset: number): void {
  const writer = shared.busy ? new LayoutWriter() : shared;
  writer.reset(target, offset);
  let end: number;
  try {
    layout.write(value, writer);
    end = writer.pos;
  } finally {
    writer.release();
  }
  if (end !== offset + size) throw new EncodingError(`wrote ${end - offset} bytes, measured ${size}`);
}

function encodeWith<T>(layout: Layout<T>, writer: LayoutWriter, value: T): Buffer {
  const size = measureWith(layout, value);
  const out = Buffer.allocUnsafe(size);
  writeWith(layout, writer, value, size, out, 0);
  return out;
}

function encodeIntoWith<T>(layout: Layout<T>, writer: LayoutWriter, value: T, target: Uint8Array, offset: number): number {
  if (!(target instanceof Uint8Array)) throw new EncodingError('encodeInto needs a Uint8Array target');
  if (!Number.isInteger(offset) || offset < 0 || offset > target.length) {
    throw new EncodingError(`offset ${offset} is not within the target's ${target.length} bytes`);
  }
  const size = measureWith(layout, value);
  if (size > target.length - offset) throw new EncodingError(`the message takes ${size} bytes, the target has ${target.length - offset} from offset ${offset}`);
  writeWith(layout, writer, value, size, bufferOf(target), offset);
  return size;
}

/** A peer-message codec; see PeerMessageCodecOptions. */
export function createPeerMessageCodec(options: PeerMessageCodecOptions = {}): PeerMessageCodec {
  const maxEnvironmentVersion = options.maxEnvironmentVersion ?? MAVRYK_MAX_ENVIRONMENT_VERSION;
  if (!Number.isInteger(maxEnvironmentVersion) || maxEnvironmentVersion < 0 || maxEnvironmentVersion > 0xffff) {
    throw new TypeError(`maxEnvironmentVersion must be an integer in 0..65535, got ${maxEnvironmentVersion}`);
  }
  const message = peerMessageLayout(maxEnvironmentVersion);
  const payload = payloadLayout(message);
  const framed = framedLayout(message);
  // One cursor each way for the codec's life. A call made while one is in use (a getter in a
  // message that encodes another) gets a cursor of its own.
  const reader = new LayoutReader();
  const writer = new LayoutWriter();
  return {
    maxSize: payload.maxSize,
    encode: (value) => encodeWith(payload, writer, value),
    encodeInto: (value, target, offset = 0) => encodeIntoWith(payload, writer, value, target, offset),
    encodedSize: (value) => measureWith(payload, value),
    decode: (body) => decodeWith(payload, reader, body),
    encodeFramed: (value) => encodeWith(framed, writer, value),
    decodeFramed: (bytes) => decodeWith(framed, reader, bytes),
    toJson(value) {
      try {
        return message.toJson(value);
      } catch (error) {
        throw encodingError(error);
      }
    },
    fromJson(json) {
      try {
        return message.fromJson(json);
      } catch (error) {
        throw encodingError(error);
      }
    },
  };
}

/** The codec of a Mavryk node (protocol environments up to V12). */
export const peerMessageCodec: PeerMessageCodec = createPeerMessageCodec();
