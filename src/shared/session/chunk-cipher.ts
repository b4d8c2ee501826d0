/**
 * Per-direction chunk encryption: the channel key and the running nonce (protocol.md §5.3, §6),
 * kept as bytes of the connection's cipher state.
 */
import { incrementNonce } from '../crypto/nonce.ts';
import { openInPlace, openInto, peekUInt32BE, sealInPlace, sealInto } from '../crypto/box.ts';
import { DecipherError, InvalidIncomingCiphertextSizeError } from '../errors.ts';
import { CHUNK_OVERHEAD, HEADER_LENGTH, TAG_LENGTH } from './chunk-layout.ts';
import type { ByteQueue } from './byte-queue.ts';
import type { EncodedMessage } from './encoded-message.ts';
import { LayoutPool, layoutPool } from './layout-pool.ts';
import { secretBytes, type PlacedBytes } from './long-lived-bytes.ts';

/**
 * Where the tag of the chunk being sealed is made before it is copied into the layout: a view of
 * the layout's tag bytes per chunk is an allocation per small message (one of the few left on W2
 * echo's write path, bench/echo-path.ts). Sealing is synchronous, so one per thread serves every
 * sealer; a tag is public (it travels in clear).
 */
const sealingTag = Buffer.allocUnsafeSlow(TAG_LENGTH);

/** Copies the tag just made into `out` at `at` (a 16-byte loop: cheaper than a view for it). */
function placeTag(out: Buffer, at: number): void {
  for (let i = 0; i < TAG_LENGTH; i++) out[at + i] = sealingTag[i]!;
}

const KEY_LENGTH = 32;
const NONCE_LENGTH = 24;

/**
 * Where a cipher's key and nonce are put for each libsodium call. A connection keeps its key and
 * both running nonces as bytes of one state (`cipherState`) rather than as three Buffer views
 * (~104 B of object each, on every idle connection: architecture.md §4c); libsodium takes a key
 * and a nonce of their exact lengths, so they are copied here first (56 bytes, no allocation).
 * Sealing and opening are synchronous, so one pair per thread serves every cipher.
 */
const callKey = Buffer.allocUnsafeSlow(KEY_LENGTH);
const callNonce = Buffer.allocUnsafeSlow(NONCE_LENGTH);

/**
 * Where the key `callKey` holds lies, bytes and offset (the states of ~40 connections share a
 * slab): a burst of chunks on one connection copies its key once.
 */
let keyOf: Buffer | undefined;
let keyOfAt = -1;

/** Copies the key at `keyAt` of `state` and the nonce at `nonceAt` into `callKey` and `callNonce`. */
function load(state: Buffer, keyAt: number, nonceAt: number): void {
  if (keyOf !== state || keyOfAt !== keyAt) {
    for (let i = 0; i < KEY_LENGTH; i++) callKey[i] = state[keyAt + i]!;
    keyOf = state;
    keyOfAt = keyAt;
  }
  for (let i = 0; i < NONCE_LENGTH; i++) callNonce[i] = state[nonceAt + i]!;
}

/** Adds 1 to the nonce at `nonceAt` of `state` (protocol.md §5.3). */
function advance(state: Buffer, nonceAt: number): void {
  incrementNonce(state, nonceAt, nonceAt + NONCE_LENGTH);
}

/**
 * One connection's cipher state, `key ‖ local nonce ‖ remote nonce`, among its long-lived bytes:
 * `new ChunkSealer(state, SEALING_NONCE)` and `new ChunkOpener(state, OPENING_NONCE)` share it.
 * Both keep the slab it lies in and its offset there, not a view of their own.
 */
export function cipherState(key: Buffer, localNonce: Buffer, remoteNonce: Buffer): PlacedBytes {
  return secretState(key, localNonce, remoteNonce);
}

/** Where the nonces lie in a `cipherState`, from its start. */
export const SEALING_NONCE = KEY_LENGTH;
export const OPENING_NONCE = KEY_LENGTH + NONCE_LENGTH;

/** `parts` joined, as long-lived secret bytes (the join wiped). */
function secretState(...parts: Buffer[]): PlacedBytes {
  const bytes = Buffer.alloc(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  const state = secretBytes.place(bytes);
  bytes.fill(0);
  return state;
}

/**
 * `key, nonce`: a cipher with a state of its own. `state, nonceAt`: one over a shared
 * `cipherState`, with its nonce at that offset.
 */
function stateOf(key: Buffer | PlacedBytes, nonce: Buffer | number): PlacedBytes {
  if (typeof nonce === 'number') return key as PlacedBytes;
  return secretState(key as Buffer, nonce);
}

/**
 * One direction of a connection's cipher: where its key and running nonce lie. The sealer and the
 * opener keep the same three fields, made the same way.
 */
abstract class CipherDirection {
  /** The slab of long-lived bytes that holds the key at `keyAt` and this direction's running nonce at `nonceAt`. */
  protected readonly state: Buffer;
  protected readonly keyAt: number;
  protected readonly nonceAt: number;

  /** See `stateOf`: `(key, nonce)`, or `(cipherState, SEALING_NONCE | OPENING_NONCE)`. */
  constructor(key: Buffer | PlacedBytes, nonce: Buffer | number) {
    const { slab, at } = stateOf(key, nonce);
    this.state = slab;
    this.keyAt = at;
    this.nonceAt = at + (typeof nonce === 'number' ? nonce : KEY_LENGTH);
  }
}

/** Encrypts outgoing chunks; each chunk uses the current nonce, then the nonce is incremented. */
export class ChunkSealer extends CipherDirection {

  /**
   * Encrypts every chunk of a layout in place, in order, and fills the tags. The headers are
   * already there (written at encode time), so this works on any run of whole chunks, such as a
   * slice that crossed to a shard. The caller has claimed the message (`EncodedMessage.consume`)
   * so it cannot be queued twice. A `shared` layout (one broadcast's plaintext for several
   * connections) stays as it is: it is sealed into a copy of its own, from the layout pool when
   * large enough, and that copy is returned.
   */
  seal(message: EncodedMessage): Buffer {
    if (!message.shared) return this.sealLayout(message.buffer);
    const plain = message.buffer;
    const size = plain.length;
    const out = LayoutPool.keeps(size) ? layoutPool.take(size) : Buffer.allocUnsafe(size);
    for (let at = 0; at < size; ) {
      const end = at + HEADER_LENGTH + plain.readUInt16BE(at);
      out[at] = plain[at]!;
      out[at + 1] = plain[at + 1]!;
      load(this.state, this.keyAt, this.nonceAt);
      sealInto(out.subarray(at + CHUNK_OVERHEAD, end), sealingTag, plain.subarray(at + CHUNK_OVERHEAD, end), callNonce, callKey);
      placeTag(out, at + HEADER_LENGTH);
      advance(this.state, this.nonceAt);
      at = end;
    }
    return out;
  }

  sealLayout(layout: Buffer): Buffer {
    for (let at = 0; at < layout.length; ) {
      const end = at + HEADER_LENGTH + layout.readUInt16BE(at);
      load(this.state, this.keyAt, this.nonceAt);
      sealInPlace(layout.subarray(at + CHUNK_OVERHEAD, end), sealingTag, callNonce, callKey);
      placeTag(layout, at + HEADER_LENGTH);
      advance(this.state, this.nonceAt);
      at = end;
    }
    return layout;
  }
}

/**
 * The tag of the chunk being opened, copied rather than viewed: a view per chunk is an
 * allocation per small message (a 16-byte copy loop ~21 ns against ~49 ns for the view, before
 * its garbage is collected). Opening is synchronous, so one per thread serves every opener; a
 * tag is public (it travels in clear).
 */
const openingTag = Buffer.allocUnsafeSlow(TAG_LENGTH);

/** Decrypts incoming chunks in order. */
export class ChunkOpener extends CipherDirection {

  /**
   * Decrypts a chunk's `tag ‖ ciphertext` (the bytes after its header) in place and returns the
   * plaintext view. The nonce advances even on failure, as in OCaml (protocol.md §5.3).
   * DECIPHER_ERROR on a bad tag.
   */
  open(sealed: Buffer): Buffer {
    if (sealed.length < TAG_LENGTH) throw new InvalidIncomingCiphertextSizeError(sealed.length); // callers check it first
    return this.openHeld(this.holdAt(sealed, 0));
  }

  /**
   * Takes the next chunk out of `input`, its header already taken: `length` bytes of
   * `tag ‖ ciphertext` (at least TAG_LENGTH, the caller checks). The tag is copied into this
   * thread's tag slot and the ciphertext is returned where it lies (a view of the received
   * buffer, or a copy into `scratch` when it spans reads, as ByteQueue.take), for one of the
   * `…Held` calls right after. One view per chunk, i.e. per small message, where a view of the
   * chunk, of its tag and of its body were three (W2 ingest, bench/ingest-path.ts).
   */
  hold(input: ByteQueue, length: number, scratch?: Buffer): Buffer {
    input.takeInto(openingTag);
    return input.take(length - TAG_LENGTH, scratch);
  }

  /** The same for a whole chunk in one buffer, its `tag ‖ ciphertext` from `start`. */
  holdAt(chunk: Buffer, start: number): Buffer {
    for (let i = 0; i < TAG_LENGTH; i++) openingTag[i] = chunk[start + i]!;
    return chunk.subarray(start + TAG_LENGTH);
  }

  /**
   * Decrypts the ciphertext of the chunk last held (`hold`, `holdAt`) in place and returns it.
   * The nonce advances even on failure; DECIPHER_ERROR on a bad tag.
   */
  openHeld(ciphertext: Buffer): Buffer {
    load(this.state, this.keyAt, this.nonceAt);
    const ok = openInPlace(ciphertext, openingTag, callNonce, callKey);
    advance(this.state, this.nonceAt);
    if (!ok) throw new DecipherError();
    return ciphertext;
  }

  /**
   * Decrypts the ciphertext of the chunk last held into `out` (exactly its length, another
   * buffer): the received bytes stay as they were. The nonce advances even on failure;
   * DECIPHER_ERROR on a bad tag, and then `out` holds nothing usable.
   */
  openHeldInto(ciphertext: Buffer, out: Buffer): void {
    load(this.state, this.keyAt, this.nonceAt);
    const ok = openInto(out, ciphertext, openingTag, callNonce, callKey);
    advance(this.state, this.nonceAt);
    if (!ok) throw new DecipherError();
  }

  /**
   * The u32 BE the first 4 plaintext bytes of a held chunk's ciphertext will read as, before it
   * is opened and authenticated: a hint for sizing the buffer it is opened into, never a length
   * to act on (a forged chunk fails `openHeldInto` after). The nonce does not move. The caller
   * checks the ciphertext has 4 bytes.
   */
  peekHeldUInt32BE(ciphertext: Buffer): number {
    load(this.state, this.keyAt, this.nonceAt);
    return peekUInt32BE(ciphertext, 0, callNonce, callKey);
  }
}
