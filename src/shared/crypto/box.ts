/**
 * Session key agreement and the chunk cipher (protocol.md §4, §6.1).
 *
 * sodium-native has no `crypto_box_beforenm`, so the channel key is built from its parts:
 * `HSalsa20(key = X25519(ownSecret, peerPublic), input = 0^16)`, which is exactly NaCl's
 * beforenm (checked against the standard NaCl vector, protocol.md §4.3). HSalsa20 runs once per
 * handshake, so the audited pure-JS one from @noble/ciphers is fast enough; every chunk goes
 * through libsodium.
 */
import { hsalsa } from '@noble/ciphers/salsa.js';
import sodium from 'sodium-native';
import { InvalidPublicKeyError } from '../errors.ts';


/** "expand 32-byte k" as little-endian 32-bit words: the Salsa20 sigma constant. */
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);

/** HSalsa20's 16-byte input for beforenm: zeros (read only). */
const ZERO_INPUT = new Uint32Array(4);

/**
 * Raw X25519 into `shared`. Throws INVALID_PUBLIC_KEY when the result is all zeros (a low-order
 * peer key, protocol.md §4.2).
 */
function x25519(shared: Buffer, secretKey: Buffer, publicKey: Buffer): void {
  try {
    sodium.crypto_scalarmult(shared, secretKey, publicKey);
  } catch {
    // libsodium refuses an all-zero result, which is what HACL's ecdh reports as failure.
    throw new InvalidPublicKeyError();
  }
  if (sodium.sodium_is_zero(shared, shared.length)) throw new InvalidPublicKeyError();
}

/** Scratch of `withChannelKey`: the X25519 result (as HSalsa20's key words) and the key; wiped after every use. */
const sharedWords = new Uint32Array(8);
const sharedBytes = Buffer.from(sharedWords.buffer);
const keyWords = new Uint32Array(8);
const keyBytes = Buffer.from(keyWords.buffer);

/**
 * `precompute(ownSecret, peerPublic)`: the 32-byte channel key both sides share (protocol.md
 * §4.1), handed to `keep`, which copies it where the connection keeps it; the key's bytes here
 * are a thread-wide scratch, wiped as soon as `keep` returns. No memory of its own per handshake.
 */
export function withChannelKey<T>(ownSecretKey: Buffer, peerPublicKey: Buffer, keep: (key: Buffer) => T): T {
  // X25519 writes straight into the words HSalsa20 reads: no aligned copy of the shared secret.
  // The words are read in the platform's byte order, little-endian as Salsa20's.
  try {
    x25519(sharedBytes, ownSecretKey, peerPublicKey);
    hsalsa(SIGMA, sharedWords, ZERO_INPUT, keyWords);
    return keep(keyBytes);
  } finally {
    sodium.sodium_memzero(sharedBytes);
    sodium.sodium_memzero(keyBytes);
  }
}

/** The channel key in a buffer of its own (outside the Buffer pool, so the caller can wipe it). */
export function channelKey(ownSecretKey: Buffer, peerPublicKey: Buffer): Buffer {
  return withChannelKey(ownSecretKey, peerPublicKey, (key) => {
    const own = Buffer.allocUnsafeSlow(key.length);
    key.copy(own);
    return own;
  });
}

/**
 * Encrypts `plaintext` in place (the ciphertext replaces it) and writes the Poly1305 tag into
 * `tag`: XSalsa20-Poly1305 in detached form, i.e. NaCl `crypto_box_afternm` (protocol.md §6.1).
 */
export function sealInPlace(plaintext: Buffer, tag: Buffer, nonce: Buffer, key: Buffer): void {
  sodium.crypto_secretbox_detached(plaintext, tag, plaintext, nonce, key);
}

/**
 * Encrypts `plaintext` into `ciphertext` (another buffer of the same length, not overlapping)
 * with its tag into `tag`; `plaintext` stays as it was (protocol.md §6.1).
 */
export function sealInto(ciphertext: Buffer, tag: Buffer, plaintext: Buffer, nonce: Buffer, key: Buffer): void {
  sodium.crypto_secretbox_detached(ciphertext, tag, plaintext, nonce, key);
}

/** Decrypts `ciphertext` in place; false when the tag does not verify (protocol.md §6.3). */
export function openInPlace(ciphertext: Buffer, tag: Buffer, nonce: Buffer, key: Buffer): boolean {
  return sodium.crypto_secretbox_open_detached(ciphertext, ciphertext, tag, nonce, key);
}

/**
 * Decrypts `ciphertext` into `plaintext` (another buffer of the same length, not overlapping);
 * false when the tag does not verify, and then `plaintext` holds nothing usable (protocol.md §6.3).
 */
export function openInto(plaintext: Buffer, ciphertext: Buffer, tag: Buffer, nonce: Buffer, key: Buffer): boolean {
  return sodium.crypto_secretbox_open_detached(plaintext, ciphertext, tag, nonce, key);
}

/** XSalsa20 keystream bytes 32..35: the ones a secretbox XORs into the first 4 bytes of its plaintext. */
const KEYSTREAM_PEEK = 36;
const keystream = Buffer.alloc(KEYSTREAM_PEEK);

/**
 * The u32 BE the first 4 plaintext bytes of a secretbox would read as, from its first 4
 * ciphertext bytes, WITHOUT checking the tag: XSalsa20 (`crypto_stream`, libsodium's secretbox
 * stream) keeps bytes 0..31 of its keystream for the Poly1305 key and XORs the plaintext with
 * what follows. A hint only, for sizing a buffer before the chunk is authenticated.
 */
export function peekUInt32BE(ciphertext: Buffer, at: number, nonce: Buffer, key: Buffer): number {
  sodium.crypto_stream(keystream, nonce, key);
  const b0 = ciphertext[at]! ^ keystream[32]!;
  const b1 = ciphertext[at + 1]! ^ keystream[33]!;
  const b2 = ciphertext[at + 2]! ^ keystream[34]!;
  const b3 = ciphertext[at + 3]! ^ keystream[35]!;
  // Bytes 0..31 are the chunk's Poly1305 one-time key: wiped as the X25519 secret above is, not left
  // in a thread-wide buffer past the call (the wipe is small next to the keystream it follows).
  keystream.fill(0);
  return b0 * 0x1000000 + ((b1 << 16) | (b2 << 8) | b3);
}
