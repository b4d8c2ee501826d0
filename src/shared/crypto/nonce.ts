/**
 * 24-byte nonces and their derivation (protocol.md §5).
 */
import sodium from 'sodium-native';
import { blake2b } from './hash.ts';

const NONCE_LENGTH = 24;

/** Message nonces drawn from libsodium at once: its generator makes a getrandom syscall per call. */
const NONCES_PER_DRAW = 64;
let drawn: Buffer | undefined;
let nextNonce = NONCES_PER_DRAW;

/**
 * 24 fresh random bytes: a connection message's nonce (protocol.md §1.1). libsodium's generator
 * rather than node:crypto's randomBytes, which costs several times more per call; drawn 64 nonces
 * at a time, as a view each of a buffer never drawn into again (a nonce is public, sent in clear).
 */
export function randomMessageNonce(): Buffer {
  if (nextNonce === NONCES_PER_DRAW) {
    drawn = Buffer.allocUnsafeSlow(NONCE_LENGTH * NONCES_PER_DRAW);
    sodium.randombytes_buf(drawn);
    nextNonce = 0;
  }
  const at = NONCE_LENGTH * nextNonce++;
  return drawn!.subarray(at, at + NONCE_LENGTH);
}

const INIT_TO_RESP = Buffer.from('Init -> Resp', 'ascii');
const RESP_TO_INIT = Buffer.from('Resp -> Init', 'ascii');

/**
 * Adds 1 to `nonce` in place, as a 192-bit big-endian integer modulo 2^192 (protocol.md §5.3).
 * Byte-wise carry: the same result as OCaml's u16-word loop, and the common case (no carry) is
 * one store. `start`, `end`: the nonce is those bytes of `nonce` (a cipher state keeps its
 * nonce beside its key).
 */
export function incrementNonce(nonce: Uint8Array, start = 0, end = nonce.length): void {
  for (let i = end - 1; i >= start; i--) {
    const v = (nonce[i]! + 1) & 0xff;
    nonce[i] = v;
    if (v !== 0) return;
  }
}

export interface SessionNonces {
  /** Nonce for the chunks this side sends. */
  readonly local: Buffer;
  /** Nonce for the chunks this side receives. */
  readonly remote: Buffer;
}

/**
 * Derives both nonces from the two connection messages, each **with** its 2-byte length prefix,
 * initiator's first (protocol.md §5.2). Note the inversion: the initiator sends with "Resp -> Init".
 */
export function deriveNonces(sentMessage: Buffer, receivedMessage: Buffer, incoming: boolean): SessionNonces {
  const init = incoming ? receivedMessage : sentMessage;
  const resp = incoming ? sentMessage : receivedMessage;
  const initToResp = blake2b(32, init, resp, INIT_TO_RESP).subarray(0, NONCE_LENGTH);
  const respToInit = blake2b(32, init, resp, RESP_TO_INIT).subarray(0, NONCE_LENGTH);
  // Views of the digests: the chunk cipher keeps its own running copy of each (chunk-cipher.ts).
  return incoming ? { local: initToResp, remote: respToInit } : { local: respToInit, remote: initToResp };
}
