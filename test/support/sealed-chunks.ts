/**
 * A message stream sealed as a peer would send it, cut into chunks of chosen sizes.
 */
import type { ChunkSealer } from '../../src/shared/session/chunk-cipher.ts';
import { encodeStream } from '../../src/shared/session/encoded-message.ts';

/** `stream` cut at `sizes` (cycled), each piece sealed as one chunk, in order (an empty stream: one tag-only chunk). */
export function sealedChunks(sealer: ChunkSealer, stream: Buffer, sizes: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let at = 0;
  let i = 0;
  do {
    const size = Math.min(sizes[i++ % sizes.length]!, stream.length - at);
    const encoded = encodeStream(stream.subarray(at, at + size), Math.max(size, 1));
    encoded.consume();
    chunks.push(Buffer.from(sealer.seal(encoded)));
    at += size;
  } while (at < stream.length);
  return chunks;
}
