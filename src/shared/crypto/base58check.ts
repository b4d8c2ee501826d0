/**
 * Base58Check as Tezos-family nodes write identifiers (protocol.md §3): the Bitcoin alphabet over
 * `prefix ‖ payload ‖ first4(sha256(sha256(prefix ‖ payload)))`, with @scure/base's coder.
 */
import { createBase58check } from '@scure/base';
import { DecodingError } from '../errors.ts';
import { sha256 } from './hash.ts';

const coder = createBase58check((data: Uint8Array) => sha256(Buffer.from(data.buffer, data.byteOffset, data.byteLength)));

/** `base58(prefix ‖ payload ‖ checksum)`. */
export function base58CheckEncode(prefix: Uint8Array, payload: Uint8Array): string {
  const data = new Uint8Array(prefix.length + payload.length);
  data.set(prefix, 0);
  data.set(payload, prefix.length);
  return coder.encode(data);
}

/**
 * Decodes and checks the alphabet, checksum, prefix and payload length; returns the payload.
 * Throws DecodingError (USER_FUNCTION, as a failed `of_b58check` inside a conv does).
 */
export function base58CheckDecode(prefix: Uint8Array, text: string, payloadLength: number): Buffer {
  let data: Uint8Array;
  try {
    data = coder.decode(text);
  } catch (error) {
    throw new DecodingError('USER_FUNCTION', `base58check: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (data.length !== prefix.length + payloadLength) {
    throw new DecodingError('USER_FUNCTION', `base58check: wrong length ${data.length + 4}`);
  }
  for (let i = 0; i < prefix.length; i++) {
    if (data[i] !== prefix[i]) throw new DecodingError('USER_FUNCTION', 'base58check: wrong prefix');
  }
  return Buffer.from(data.subarray(prefix.length));
}
