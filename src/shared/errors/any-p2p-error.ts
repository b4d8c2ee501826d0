/** The union of every error class the library throws, and of their codes. */
import type { AbortedError, TimeoutError } from './cancellation-errors.ts';
import type { DecodingError, EncodingError } from './coding-errors.ts';
import type {
  ConnectionClosedError,
  DecipherError,
  EncodedMessageConsumedError,
  InvalidChunksSizeError,
  InvalidIncomingCiphertextSizeError,
  InvalidMessageSizeError,
  LentMessageReleasedError,
} from './connection-errors.ts';
import type {
  InvalidAuthError,
  InvalidPublicKeyError,
  MyselfError,
  NotEnoughProofOfWorkError,
  RejectedByNackError,
  RejectedNoCommonProtocolError,
  RejectedSocketConnectionError,
} from './handshake-errors.ts';
import type { IdentityKeysMismatchError, IdentityMismatchError, InsufficientProofOfWorkError, InvalidIdentityError } from './identity-errors.ts';
import type { AnyPoolError } from './pool-errors.ts';

/** Every error class the library throws: `switch (err.code)` narrows it to one class and its fields. */
export type AnyP2pError =
  | ConnectionClosedError
  | DecipherError
  | InvalidAuthError
  | RejectedSocketConnectionError
  | NotEnoughProofOfWorkError
  | MyselfError
  | RejectedByNackError
  | InvalidIncomingCiphertextSizeError
  | InvalidMessageSizeError
  | InvalidChunksSizeError
  | DecodingError
  | EncodingError
  | InvalidPublicKeyError
  | TimeoutError
  | AbortedError
  | IdentityMismatchError
  | IdentityKeysMismatchError
  | InsufficientProofOfWorkError
  | InvalidIdentityError
  | EncodedMessageConsumedError
  | LentMessageReleasedError
  | RejectedNoCommonProtocolError
  | AnyPoolError;

export type P2pErrorCode = AnyP2pError['code'];
