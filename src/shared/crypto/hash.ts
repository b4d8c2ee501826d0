/**
 * Hash primitives on libsodium (sodium-native).
 *
 * BLAKE2b here takes the digest length as a parameter: BLAKE2b-128 is not a truncated
 * BLAKE2b-256 (docs/protocol.md §3).
 */
import sodium from 'sodium-native';

/** Unkeyed BLAKE2b with a digest of `outLength` bytes (16..64) over the concatenation of `parts`. */
export function blake2b(outLength: number, ...parts: Buffer[]): Buffer {
  const out = Buffer.allocUnsafe(outLength);
  if (parts.length === 1) {
    sodium.crypto_generichash(out, parts[0]!);
  } else {
    sodium.crypto_generichash_batch(out, parts);
  }
  return out;
}

/** SHA-256 of `data`. */
export function sha256(data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(32);
  sodium.crypto_hash_sha256(out, data);
  return out;
}

/** SHA-256 of `data` into `out` (32 bytes; may be `data` itself). */
export function sha256Into(out: Buffer, data: Buffer): void {
  sodium.crypto_hash_sha256(out, data);
}
