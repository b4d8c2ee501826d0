/**
 * Per-direction chunk encryption state: the channel key and the running nonce (SPEC §5.3, §6).
 */
import { openInPlace, sealInPlace } from '../crypto/box.ts';
import { incrementNonce } from '../crypto/nonce.ts';
import { DecipherError } from '../errors.ts';
import { CHUNK_OVERHEAD, HEADER_LENGTH, TAG_LENGTH } from './chunk-layout.ts';
import type { EncodedMessage } from './encoded-message.ts';

/** Encrypts outgoing chunks; each chunk uses the current nonce, then the nonce is incremented. */
export class ChunkSealer {
  private readonly key: Buffer;
  private readonly nonce: Buffer;

  constructor(key: Buffer, nonce: Buffer) {
    this.key = key;
    this.nonce = Buffer.from(nonce);
  }

  /**
   * Fills headers and tags and encrypts every chunk of `message` in place, in order. The caller
   * has claimed the message (`EncodedMessage.consume`) so it cannot be queued twice.
   */
  seal(message: EncodedMessage): Buffer {
    const { buffer, chunkContentSize, streamLength } = message;
    const stride = chunkContentSize + CHUNK_OVERHEAD;
    const chunks = message.chunkCount;
    for (let i = 0; i < chunks; i++) {
      const at = i * stride;
      const length = Math.min(chunkContentSize, streamLength - i * chunkContentSize);
      buffer.writeUInt16BE(length + CHUNK_OVERHEAD - HEADER_LENGTH, at);
      const content = buffer.subarray(at + CHUNK_OVERHEAD, at + CHUNK_OVERHEAD + length);
      sealInPlace(content, buffer.subarray(at + HEADER_LENGTH, at + CHUNK_OVERHEAD), this.nonce, this.key);
      incrementNonce(this.nonce);
    }
    return buffer;
  }
}

/** Decrypts incoming chunks in order. */
export class ChunkOpener {
  private readonly key: Buffer;
  private readonly nonce: Buffer;

  constructor(key: Buffer, nonce: Buffer) {
    this.key = key;
    this.nonce = Buffer.from(nonce);
  }

  /**
   * Decrypts a chunk's `tag ‖ ciphertext` (the bytes after its header) in place and returns the
   * plaintext view. The nonce advances even on failure, as in OCaml (SPEC §5.3).
   * DECIPHER_ERROR on a bad tag.
   */
  open(sealed: Buffer): Buffer {
    const tag = sealed.subarray(0, TAG_LENGTH);
    const body = sealed.subarray(TAG_LENGTH);
    const ok = openInPlace(body, tag, this.nonce, this.key);
    incrementNonce(this.nonce);
    if (!ok) throw new DecipherError();
    return body;
  }
}
