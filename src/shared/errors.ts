/**
 * Typed errors of the P2P socket layer (protocol.md §10), the one import path for all of them.
 *
 * Every failure is its own class with a literal `code`, so TypeScript users can narrow on
 * `err.code`, and a `name` that is the class name. A registry-wide brand (`Symbol.for`) lets
 * `instanceof` of any of the classes work across copies of the library; errors that cross a
 * thread boundary travel as records and are rebuilt into their class (`errorFromRecord`).
 * The classes live in `errors/`, one file per family.
 */
export { type ErrorRecord, P2pError } from './errors/p2p-error.ts';
export {
  type ConnectionClosedOptions,
  ConnectionClosedError,
  DecipherError,
  EncodedMessageConsumedError,
  LentMessageReleasedError,
  InvalidChunksSizeError,
  InvalidIncomingCiphertextSizeError,
  InvalidMessageSizeError,
} from './errors/connection-errors.ts';
export {
  InvalidAuthError,
  InvalidPublicKeyError,
  MyselfError,
  NotEnoughProofOfWorkError,
  RejectedByNackError,
  RejectedNoCommonProtocolError,
  RejectedSocketConnectionError,
} from './errors/handshake-errors.ts';
export { type CodingErrorOptions, type DecodingReason, DecodingError, EncodingError } from './errors/coding-errors.ts';
export { AbortedError, errorFromAbortReason, TimeoutError } from './errors/cancellation-errors.ts';
export { IdentityKeysMismatchError, IdentityMismatchError, InsufficientProofOfWorkError, InvalidIdentityError } from './errors/identity-errors.ts';
export {
  type AnyPoolError,
  type PoolErrorCode,
  AlreadyConnectedError,
  PeerBannedError,
  PointBannedError,
  PolicyFailedError,
  PoolClosedError,
  PoolError,
  PrivateModeError,
  RejectedError,
  ShardFailedError,
  TooManyConnectionsError,
} from './errors/pool-errors.ts';
export type { AnyP2pError, P2pErrorCode } from './errors/any-p2p-error.ts';
export { errorFromRecord } from './errors/error-from-record.ts';
