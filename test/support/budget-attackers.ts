/**
 * Peers that attack the pending-message budget: each announces a message and sends part of its
 * body, respecting TCP (a server that stops reading stops them), then holds or leaves.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Identity } from '../../src/shared/identity.ts';
import { MAX_CHUNK_CONTENT } from '../../src/shared/session/chunk-layout.ts';
import { encodeStream } from '../../src/shared/session/encoded-message.ts';
import { establishedPeer, type ScriptedPeer } from './scripted-peer.ts';

/**
 * Sends `prefix ‖ body` bytes of a message announcing `announced` body bytes, `sent` of which
 * are sent (in maximal chunks, the last one cut at `lastChunk` bytes when given: a chunk of which
 * only part is sent), stopping early if the server stops reading for `stallMs`. Resolves with
 * the bytes sent.
 */
export async function sendPartOfMessage(peer: ScriptedPeer, announced: number, sent: number, stallMs = 2000): Promise<number> {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(announced);
  const socket = peer.socket;
  let done = 0;
  let first = true;
  while (done < sent && !socket.destroyed) {
    const room = first ? MAX_CHUNK_CONTENT - 4 : MAX_CHUNK_CONTENT;
    const piece = Buffer.alloc(Math.min(room, sent - done), 0x5a);
    peer.sendChunk(first ? Buffer.concat([prefix, piece]) : piece);
    first = false;
    done += piece.length;
    const since = Date.now();
    while (socket.writableNeedDrain && !socket.destroyed) {
      if (Date.now() - since > stallMs) return done;
      await sleep(5);
    }
  }
  return done;
}

/** A peer established as `identity` that has sent `sent` bytes of an `announced`-byte message. */
export async function budgetAttacker(port: number, identity: Identity, announced: number, sent: number, stallMs?: number): Promise<{ peer: ScriptedPeer; sent: number }> {
  const peer = await establishedPeer(port, identity);
  return { peer, sent: await sendPartOfMessage(peer, announced, sent, stallMs) };
}

/** Polls `condition` every 20 ms for at most `ms`; true once it held. */
export async function eventually(condition: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (condition()) return true;
    await sleep(20);
  }
  return condition();
}

/** Sends the first `bytes` bytes of the sealed chunk of `plain` (a chunk the peer never finishes). */
export function sendPartOfChunk(peer: ScriptedPeer, plain: Buffer, bytes: number): void {
  const encoded = encodeStream(plain, MAX_CHUNK_CONTENT);
  encoded.consume();
  peer.raw(peer.sealer!.seal(encoded).subarray(0, bytes));
}
