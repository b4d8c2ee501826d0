/**
 * A message already cut into chunks and laid out as it will go on the wire (protocol.md §9.3).
 *
 * `encode` writes the message stream (u32 BE length prefix ‖ body) into one buffer with the
 * 2-byte header and 16-byte tag of each chunk reserved in front of its content, so the writer
 * encrypts every chunk in place and hands the whole buffer to the socket in one write: no copy
 * between encoding and sending (architecture.md §3). Like OCaml's `write_encoded_now`, writing encrypts
 * in place, so an encoded message can be written once; broadcast with `copyEncodedMessage`.
 */
import { EncodedMessageConsumedError } from '../errors.ts';
import { CHUNK_OVERHEAD, TAG_LENGTH } from './chunk-layout.ts';
import { LayoutPool, SMALL_LAYOUT_MAX, layoutPool } from './layout-pool.ts';

/** Bytes of the Tezos `dynamic_size` length prefix in front of every message (protocol.md §9.1). */
export const MESSAGE_PREFIX_LENGTH = 4;

export class EncodedMessage {
  /** Wire layout: for each chunk `[header 2][tag 16][content]`; content is plaintext until written. */
  readonly buffer: Buffer;
  /** Largest chunk content this message was cut for (protocol.md §6.4). */
  readonly chunkContentSize: number;
  /** Bytes of the message stream: prefix + body. */
  readonly streamLength: number;
  /**
   * The library made this layout for itself and nobody else holds it: once the socket is done
   * with it, it goes back to this thread's layout pool (layout-pool.ts).
   */
  readonly recyclable: boolean;
  /**
   * The buffer is one broadcast's plaintext, shared by several connections: each seals it into
   * a copy of its own (`ChunkSealer.seal`), never in place. Only the library makes these.
   */
  readonly shared: boolean;
  private used = false;

  constructor(buffer: Buffer, chunkContentSize: number, streamLength: number, recyclable = false, shared = false) {
    this.buffer = buffer;
    this.chunkContentSize = chunkContentSize;
    this.streamLength = streamLength;
    this.recyclable = recyclable && !shared;
    this.shared = shared;
  }

  /** Number of chunks: an empty stream still takes one tag-only chunk (protocol.md §9.3 `cut`). */
  get chunkCount(): number {
    return chunkCountFor(this.streamLength, this.chunkContentSize);
  }

  /** True once written: the bytes are ciphertext now. */
  get consumed(): boolean {
    return this.used;
  }

  /** Marks the message as written; throws if it already was. */
  consume(): void {
    if (this.used) throw new EncodedMessageConsumedError();
    this.used = true;
  }
}

export function chunkCountFor(streamLength: number, chunkContentSize: number): number {
  return streamLength === 0 ? 1 : Math.ceil(streamLength / chunkContentSize);
}

/** Lays out raw stream bytes (no prefix added) in chunks of at most `chunkContentSize`. */
export function encodeStream(stream: Uint8Array, chunkContentSize: number): EncodedMessage {
  const out = allocateLayout(stream.length, chunkContentSize);
  let at = CHUNK_OVERHEAD;
  for (let from = 0; from < stream.length; from += chunkContentSize) {
    const end = Math.min(from + chunkContentSize, stream.length);
    out.set(stream.subarray(from, end), at);
    at += end - from + CHUNK_OVERHEAD;
  }
  return new EncodedMessage(out, chunkContentSize, stream.length);
}

/**
 * Lays out `u32 BE length ‖ body`: one message of the Tezos framing (protocol.md §9.1).
 * `recyclable`: the layout is for the library's own write (`write`, `writeNow`, `writeSync`),
 * never handed to the application, so it may come from and go back to the layout pool.
 */
export function encodeFramedMessage(body: Uint8Array, chunkContentSize: number, recyclable = false): EncodedMessage {
  const streamLength = MESSAGE_PREFIX_LENGTH + body.length;
  if (streamLength <= chunkContentSize) {
    // One chunk: the common case for small messages, laid out without the layout and slicing loops.
    const size = CHUNK_OVERHEAD + streamLength;
    const pooled = recyclable && LayoutPool.keeps(size);
    const out = allocateBytes(size, pooled);
    out.writeUInt16BE(streamLength + TAG_LENGTH, 0);
    out.writeUInt32BE(body.length, CHUNK_OVERHEAD);
    out.set(body, CHUNK_OVERHEAD + MESSAGE_PREFIX_LENGTH);
    return new EncodedMessage(out, chunkContentSize, streamLength, pooled);
  }
  const pooled = recyclable && LayoutPool.keeps(layoutSize(streamLength, chunkContentSize));
  const out = allocateLayout(streamLength, chunkContentSize, pooled);
  // The prefix may itself be cut when chunks carry fewer than 4 bytes (binaryChunksSize < 22).
  const prefix = Buffer.allocUnsafe(MESSAGE_PREFIX_LENGTH);
  prefix.writeUInt32BE(body.length, 0);
  let at = CHUNK_OVERHEAD;
  let room = chunkContentSize;
  for (const part of [prefix, body]) {
    let from = 0;
    while (from < part.length) {
      const count = Math.min(room, part.length - from);
      out.set(part.subarray(from, from + count), at);
      at += count;
      from += count;
      room -= count;
      if (room === 0) {
        at += CHUNK_OVERHEAD;
        room = chunkContentSize;
      }
    }
  }
  return new EncodedMessage(out, chunkContentSize, streamLength, pooled);
}

/** Deep copy, so one encoding can be written to several connections (protocol.md §9.4). */
export function copyEncodedMessage(message: EncodedMessage): EncodedMessage {
  if (message.consumed) throw new EncodedMessageConsumedError();
  return new EncodedMessage(Buffer.from(message.buffer), message.chunkContentSize, message.streamLength);
}

/**
 * One connection's share of a layout several connections send (a broadcast): the same bytes,
 * sealed into a copy of its own when written, so the layout stays plaintext for the others.
 */
export function sharedLayout(message: EncodedMessage): EncodedMessage {
  return new EncodedMessage(message.buffer, message.chunkContentSize, message.streamLength, false, true);
}

/** Bytes of a layout: the stream and each chunk's header and tag. */
function layoutSize(streamLength: number, chunkContentSize: number): number {
  return streamLength + CHUNK_OVERHEAD * chunkCountFor(streamLength, chunkContentSize);
}

/**
 * Allocates the layout and writes every chunk's header (u16 BE tag + content length) up front, so
 * the layout describes itself: whoever seals it (this thread or a shard) walks the headers and
 * needs no chunk size (protocol.md §6.1).
 */
function allocateLayout(streamLength: number, chunkContentSize: number, pooled = false): Buffer {
  const chunks = chunkCountFor(streamLength, chunkContentSize);
  const out = allocateBytes(layoutSize(streamLength, chunkContentSize), pooled);
  const stride = chunkContentSize + CHUNK_OVERHEAD;
  for (let i = 0; i < chunks; i++) {
    const length = Math.min(chunkContentSize, streamLength - i * chunkContentSize);
    out.writeUInt16BE(length + TAG_LENGTH, i * stride);
  }
  return out;
}

/** `pooled`: from this thread's layout pool (the caller checked `LayoutPool.keeps`). */
function allocateBytes(size: number, pooled = false): Buffer {
  // Small layouts come from Node's pool, much cheaper than an unpooled allocation for small
  // messages (bench/chunk-codec.bench.ts measures seal against raw secretbox); they cross
  // threads by copy through the rings. Large ones are unpooled, each the whole of its own
  // ArrayBuffer, so they can be transferred as they are (architecture.md §3); pooled ones are too.
  if (pooled) return layoutPool.take(size);
  return size <= SMALL_LAYOUT_MAX ? Buffer.allocUnsafe(size) : Buffer.allocUnsafeSlow(size);
}
