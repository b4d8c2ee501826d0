/**
 * Per-direction chunk encryption state: the channel key and the running nonce (protocol.md §5.3, §6).
 */
import { openInPlace, openInto, peekUInt32BE, sealInPlace } from '../crypto/box.ts';
import { incrementNonce } from '../crypto/nonce.ts';
import { DecipherError } from '../errors.ts';
import { CHUNK_OVERHEAD, HEADER_LENGTH, TAG_LENGTH } from './chunk-layout.ts';
import type { EncodedMessage } from './encoded-message.ts';
import { secretBytes } from './long-lived-bytes.ts';

/** Encrypts outgoing chunks; each chunk uses the current nonce, then the nonce is incremented. */
export class ChunkSealer {
  private readonly key: Buffer;
  private readonly nonce: Buffer;

  constructor(key: Buffer, nonce: Buffer) {
    this.key = key;
    this.nonce = secretBytes.copy(nonce); // a running copy, kept with the connection's other long-lived bytes
  }

  /**
   * Encrypts every chunk of a layout in place, in order, and fills the tags. The headers are
   * already there (written at encode time), so this works on any run of whole chunks, such as a
   * slice that crossed to a shard. The caller has claimed the message (`EncodedMessage.consume`)
   * so it cannot be queued twice.
   */
  seal(message: EncodedMessage): Buffer {
    return this.sealLayout(message.buffer);
  }

  sealLayout(layout: Buffer): Buffer {
    for (let at = 0; at < layout.length; ) {
      const end = at + HEADER_LENGTH + layout.readUInt16BE(at);
      const content = layout.subarray(at + CHUNK_OVERHEAD, end);
      sealInPlace(content, layout.subarray(at + HEADER_LENGTH, at + CHUNK_OVERHEAD), this.nonce, this.key);
      incrementNonce(this.nonce);
      at = end;
    }
    return layout;
  }
}

/** Decrypts incoming chunks in order. */
export class ChunkOpener {
  private readonly key: Buffer;
  private readonly nonce: Buffer;

  constructor(key: Buffer, nonce: Buffer) {
    this.key = key;
    this.nonce = secretBytes.copy(nonce); // a running copy, kept with the connection's other long-lived bytes
  }

  /**
   * Decrypts a chunk's `tag ‖ ciphertext` (the bytes after its header) in place and returns the
   * plaintext view. The nonce advances even on failure, as in OCaml (protocol.md §5.3).
   * DECIPHER_ERROR on a bad tag.
   */
  open(sealed: Buffer): Buffer {
    return this.openAt(sealed, 0);
  }

  /**
   * The same for the bytes of `chunk` from `start` (a whole received chunk: `start` =
   * HEADER_LENGTH), without a view of them first: the receive path makes one view fewer per
   * chunk, i.e. per small message (W2 ingest: the shard made five views per 100-byte message).
   */
  openAt(chunk: Buffer, start: number): Buffer {
    const tag = chunk.subarray(start, start + TAG_LENGTH);
    const body = chunk.subarray(start + TAG_LENGTH);
    const ok = openInPlace(body, tag, this.nonce, this.key);
    incrementNonce(this.nonce);
    if (!ok) throw new DecipherError();
    return body;
  }

  /**
   * Decrypts the `tag ‖ ciphertext` of `chunk` from `start` into `out` (exactly the ciphertext's
   * length, another buffer): the received bytes stay as they were. The nonce advances even on
   * failure; DECIPHER_ERROR on a bad tag, and then `out` holds nothing usable.
   */
  openInto(chunk: Buffer, start: number, out: Buffer): void {
    const ok = openInto(out, chunk.subarray(start + TAG_LENGTH), chunk.subarray(start, start + TAG_LENGTH), this.nonce, this.key);
    incrementNonce(this.nonce);
    if (!ok) throw new DecipherError();
  }

  /**
   * The u32 BE the first 4 plaintext bytes of the chunk's content (the `tag ‖ ciphertext` from
   * `start`) will read as, before the chunk is opened and authenticated: a hint for sizing the
   * buffer it is opened into, never a length to act on (a forged chunk fails `openInto` after).
   * The nonce does not move. The caller checks the content has 4 bytes.
   */
  peekUInt32BE(chunk: Buffer, start: number): number {
    return peekUInt32BE(chunk, start + TAG_LENGTH, this.nonce, this.key);
  }
}
