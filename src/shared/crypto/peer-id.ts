/**
 * Peer ids: BLAKE2b-128 of the X25519 public key, shown as Base58Check `id…` (protocol.md §3).
 */
import { base58CheckDecode, base58CheckEncode } from './base58check.ts';
import { blake2b } from './hash.ts';

/** Prefix bytes `\153\103` that make every peer id start with `id`. */
const PEER_ID_PREFIX = Buffer.from([0x99, 0x67]);
const PEER_ID_LENGTH = 16;

/** The 16 raw bytes of a public key's peer id. */
export function peerIdBytesOf(publicKey: Buffer): Buffer {
  return blake2b(PEER_ID_LENGTH, publicKey);
}

export function peerIdToBase58(peerId: Uint8Array): string {
  return base58CheckEncode(PEER_ID_PREFIX, peerId);
}

/** Parses an `id…` text; throws DecodingError when it is not a valid peer id. */
export function peerIdFromBase58(text: string): Buffer {
  return base58CheckDecode(PEER_ID_PREFIX, text, PEER_ID_LENGTH);
}

/** The `id…` text of a public key. */
export function peerIdOf(publicKey: Buffer): string {
  return peerIdToBase58(peerIdBytesOf(publicKey));
}
