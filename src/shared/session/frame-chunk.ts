/**
 * One received chunk, opened and framed (protocol.md §6.3, §9.2): straight into the body of the
 * message it belongs to where the framer has one for it, else in place and then framed.
 *
 * Why: a 64 KiB message does not fit one chunk (65,517 bytes of content), so its first chunk was
 * opened in place and copied whole into a fresh body (that copy was 9.9 % of a W1 receiver's busy
 * time, bench/load.ts --profile). Opened into the body, the copy goes but `open` writes the fresh
 * body itself, which is most of what the copy cost: per 64 KiB message in a one-core loop, open
 * in place + allocate + copy 51.9 µs against open into a fresh body 45.4 µs (medians of 3 ×
 * 20,000); through ByteQueue with a fresh buffer per 64 KiB read, as a socket gives them, 75.5 →
 * 74.0 µs (medians of 10 alternated runs, lower in 7 of the 10 pairs, best 69.1 → 64.9) on a
 * machine at load 6–11; a second harness of the same loop (7 alternated rounds of 2,000
 * messages) gave 59.7 → 55.6 µs per 64 KiB message and 1,011 → 909 µs per 1 MiB one.
 */
import type { ChunkOpener } from './chunk-cipher.ts';
import type { BodyTaker, FramedMessage, MessageFramer } from './message-framer.ts';

/**
 * Opens the chunk `opener` holds (ChunkOpener.hold / holdAt: its tag in the opener's slot,
 * `ciphertext` its content) and feeds its plaintext to `framer`, which calls `emit` for each
 * completed message (offering whole small bodies to `taker` first, MessageFramer.push). `stable`:
 * the ciphertext's bytes stay valid after the call (see MessageFramer.push). DECIPHER_ERROR on a
 * bad tag (the nonce advances either way), DECODING_ERROR from the framer.
 */
export function frameChunk(framer: MessageFramer, opener: ChunkOpener, ciphertext: Buffer, emit: (message: FramedMessage) => void, stable: boolean, taker?: BodyTaker): void {
  const content = ciphertext.length;
  const target = framer.directTarget(content, framer.wantsPrefixPeek(content) ? opener.peekHeldUInt32BE(ciphertext) : -1);
  if (target === undefined) {
    framer.push(opener.openHeld(ciphertext), emit, stable, taker);
    return;
  }
  opener.openHeldInto(ciphertext, target);
  framer.pushDirect(target, content, emit);
}
