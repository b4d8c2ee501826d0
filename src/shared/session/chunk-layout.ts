/**
 * Encrypted chunk constants and the `binary_chunks_size` check (protocol.md §6.2, §6.4).
 */
import { InvalidChunksSizeError } from '../errors.ts';

/** u16 BE length of tag + ciphertext. */
export const HEADER_LENGTH = 2;
/** Poly1305 tag, sent before the ciphertext. */
export const TAG_LENGTH = 16;
/** Header + tag: what a chunk adds to its plaintext. */
export const CHUNK_OVERHEAD = HEADER_LENGTH + TAG_LENGTH;
/** Largest chunk on the wire (`bufsize`). */
export const MAX_CHUNK_SIZE = 65535;
/** Largest plaintext a writer may put in one chunk: 65535 − 18. */
export const MAX_CHUNK_CONTENT = MAX_CHUNK_SIZE - CHUNK_OVERHEAD;
/** Smallest valid `binaryChunksSize`: one plaintext byte per chunk. */
export const MIN_CHUNK_SIZE = CHUNK_OVERHEAD + 1;

/**
 * Validates a `binaryChunksSize` (total wire size of a chunk) and returns the chunk content
 * size it gives. Valid iff 19 ≤ size ≤ 65535; otherwise INVALID_CHUNKS_SIZE (protocol.md §6.4).
 */
export function checkBinaryChunksSize(size: number): number {
  if (!Number.isInteger(size) || size < MIN_CHUNK_SIZE || size > MAX_CHUNK_SIZE) {
    throw new InvalidChunksSizeError(size, MIN_CHUNK_SIZE, MAX_CHUNK_SIZE);
  }
  return size - CHUNK_OVERHEAD;
}
