/**
 * One received chunk, opened and framed (protocol.md §6.3, §9.2): straight into the body of the
 * message it belongs to where the framer has one for it, else in place and then framed.
 *
 * Why: a 64 KiB message does not fit one chunk (65,517 bytes of content). Opening its first chunk
 * in place and copying it whole into a fresh body costs a copy of most of the message; opened
 * straight into the body, `open` writes the fresh body itself and the copy goes, a few per cent
 * of the receive path per large message (load-benchmark.md, "What limits our numbers").
 */
import type { ChunkOpener } from './chunk-cipher.ts';
import type { BodyTaker, FramedMessage, MessageFramer, QueueHold } from './message-framer.ts';

/**
 * Opens the chunk `opener` holds (ChunkOpener.hold / holdAt: its tag in the opener's slot,
 * `ciphertext` its content) and feeds its plaintext to `framer`, which calls `emit` for each
 * completed message (offering whole small bodies to `taker` first, MessageFramer.push). `hold`:
 * asked between messages, stops framing (MessageFramer.push); what it left is returned. `stable`:
 * the ciphertext's bytes stay valid after the call (see MessageFramer.push). DECIPHER_ERROR on a
 * bad tag (the nonce advances either way), DECODING_ERROR from the framer.
 */
export function frameChunk(framer: MessageFramer, opener: ChunkOpener, ciphertext: Buffer, emit: (message: FramedMessage) => void, stable: boolean, taker?: BodyTaker, hold?: QueueHold): Buffer | undefined {
  const content = ciphertext.length;
  const target = framer.directTarget(content, framer.wantsPrefixPeek(content) ? opener.peekHeldUInt32BE(ciphertext) : -1);
  if (target === undefined) {
    const plain = opener.openHeld(ciphertext);
    const framed = framer.push(plain, emit, stable, taker, hold);
    if (framed === plain.length) return undefined;
    // `hold` stopped it: the rest, kept (a copy when the plaintext is the thread's scratch).
    const rest = plain.subarray(framed);
    return stable ? rest : Buffer.from(rest);
  }
  opener.openHeldInto(ciphertext, target);
  framer.pushDirect(target, content, emit);
  return undefined;
}
