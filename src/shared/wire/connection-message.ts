/**
 * The connection message: the first, plaintext message each side sends (protocol.md §1.1).
 *
 * ```
 * u16 L ‖ u16 port ‖ pubkey[32] ‖ pow_stamp[24] ‖ message_nonce[24] ‖ Network_version
 * ```
 * `L` counts everything after itself, so `L = 90 + N` for a chain name of N bytes. Both sides
 * keep the exact wire bytes, prefix included, for nonce derivation (protocol.md §5), which is why the
 * encoder returns the prefixed bytes.
 */
import { EncodingError } from '../errors.ts';
import { BinaryReader } from './binary-reader.ts';
import { networkVersionSize, readNetworkVersion, writeNetworkVersion } from './network-version.ts';
import type { NetworkVersion } from './network-version.ts';

const PUBLIC_KEY_SIZE = 32;
const PROOF_OF_WORK_STAMP_SIZE = 24;
const MESSAGE_NONCE_SIZE = 24;
/** Size of the u16 BE length prefix. */
const CONNECTION_MESSAGE_PREFIX_SIZE = 2;
/** Body size with an empty chain name: 2 + 32 + 24 + 24 + 4 + 2 + 2 (protocol.md §1.1). */
export const CONNECTION_MESSAGE_MIN_BODY = 90;
/** The writer refuses bodies of 65536 bytes or more (protocol.md §1.1). */
const CONNECTION_MESSAGE_MAX_BODY = 0xffff;

export interface ConnectionMessage {
  /** Advertised listening port; `undefined` is sent as 0, and 0 reads back as `undefined` (protocol.md §1.1). */
  port: number | undefined;
  /** X25519 public key, 32 bytes; not validated on decode (protocol.md §1.1). */
  publicKey: Buffer;
  /** 24 bytes from the identity (protocol.md §2). */
  proofOfWorkStamp: Buffer;
  /** 24 fresh random bytes per connection (protocol.md §1.1). */
  messageNonce: Buffer;
  version: NetworkVersion;
}

function checkLength(value: Buffer, size: number, what: string): void {
  if (!Buffer.isBuffer(value) || value.length !== size) {
    throw new EncodingError(`${what} must be ${size} bytes`);
  }
}

/**
 * The full wire bytes, length prefix included. EncodingError on a field of the wrong size, a
 * port outside 0..65535, or a body of 65536 bytes or more (OCaml
 * `Unexpected_size_of_decoded_buffer`, protocol.md §1.1).
 */
export function encodeConnectionMessage(message: ConnectionMessage): Buffer {
  const port = message.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new EncodingError(`port ${port} is not in 0..65535`);
  }
  checkLength(message.publicKey, PUBLIC_KEY_SIZE, 'public key');
  checkLength(message.proofOfWorkStamp, PROOF_OF_WORK_STAMP_SIZE, 'proof-of-work stamp');
  checkLength(message.messageNonce, MESSAGE_NONCE_SIZE, 'message nonce');
  const bodySize = 2 + PUBLIC_KEY_SIZE + PROOF_OF_WORK_STAMP_SIZE + MESSAGE_NONCE_SIZE + networkVersionSize(message.version);
  if (bodySize > CONNECTION_MESSAGE_MAX_BODY) {
    throw new EncodingError(`connection message body of ${bodySize} bytes does not fit the u16 length prefix`);
  }
  const out = Buffer.allocUnsafe(CONNECTION_MESSAGE_PREFIX_SIZE + bodySize);
  let at = out.writeUInt16BE(bodySize, 0);
  at = out.writeUInt16BE(port, at);
  at += message.publicKey.copy(out, at);
  at += message.proofOfWorkStamp.copy(out, at);
  at += message.messageNonce.copy(out, at);
  writeNetworkVersion(out, at, message.version);
  return out;
}

/**
 * Decodes a body (the `L` bytes after the prefix) with exact length: NOT_ENOUGH_DATA when it is
 * short, EXTRA_BYTES when anything trails, so no extension field can be appended (protocol.md §1.1).
 * The fixed-size fields are copied: the input is typically a socket read buffer that is reused.
 */
export function decodeConnectionMessageBody(body: Buffer): ConnectionMessage {
  const reader = new BinaryReader(body);
  const port = reader.u16('port');
  const publicKey = reader.fixedCopy(PUBLIC_KEY_SIZE, 'public key');
  const proofOfWorkStamp = reader.fixedCopy(PROOF_OF_WORK_STAMP_SIZE, 'proof-of-work stamp');
  const messageNonce = reader.fixedCopy(MESSAGE_NONCE_SIZE, 'message nonce');
  const version = readNetworkVersion(reader);
  reader.expectEnd('connection message');
  return { port: port === 0 ? undefined : port, publicKey, proofOfWorkStamp, messageNonce, version };
}

/** `L` from the 2-byte prefix: how many body bytes to read next (protocol.md §1.1). */
export function connectionMessageBodyLength(prefix: Buffer): number {
  return new BinaryReader(prefix, 0, Math.min(prefix.length, CONNECTION_MESSAGE_PREFIX_SIZE)).u16('connection message length');
}
