/** Rebuilds an error of its own class from the record it crossed a thread or process as (`P2pError.toRecord`). */
import { AbortedError, TimeoutError } from './cancellation-errors.ts';
import { type DecodingReason, DecodingError, EncodingError } from './coding-errors.ts';
import {
  ConnectionClosedError,
  DecipherError,
  EncodedMessageConsumedError,
  LentMessageReleasedError,
  InvalidChunksSizeError,
  InvalidIncomingCiphertextSizeError,
  InvalidMessageSizeError,
} from './connection-errors.ts';
import {
  InvalidAuthError,
  InvalidPublicKeyError,
  MyselfError,
  NotEnoughProofOfWorkError,
  RejectedByNackError,
  RejectedNoCommonProtocolError,
  RejectedSocketConnectionError,
} from './handshake-errors.ts';
import { IdentityKeysMismatchError, IdentityMismatchError, InsufficientProofOfWorkError, InvalidIdentityError } from './identity-errors.ts';
import type { ErrorRecord, P2pError } from './p2p-error.ts';
import { isPoolErrorCode, poolErrorFor } from './pool-errors.ts';

function num(value: unknown, fallback = 0): number {
  return typeof value === 'number' ? value : fallback;
}

function maybeNum(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function maybeString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function withMessage<E extends P2pError>(error: E, message: string): E {
  error.message = message;
  return error;
}

/**
 * Rebuilds an error of the right class from its record (after a thread or process crossing).
 * Unknown codes give a plain Error carrying the code, so nothing is silently lost.
 */
export function errorFromRecord(record: ErrorRecord): Error {
  const m = record.message;
  switch (record.code) {
    case 'CONNECTION_CLOSED': {
      // The system error itself stays on the thread that saw it; its code crosses.
      const systemCode = typeof record['systemCode'] === 'string' ? record['systemCode'] : undefined;
      const cause = systemCode === undefined ? undefined : Object.assign(new Error(`${systemCode} (on the thread that owned the socket)`), { code: systemCode });
      return new ConnectionClosedError(m, { beforeHandshake: record['beforeHandshake'] === true, systemCode, ...(cause ? { cause } : {}) });
    }
    case 'DECIPHER_ERROR': return new DecipherError(m);
    case 'INVALID_AUTH': return new InvalidAuthError(m);
    case 'REJECTED_SOCKET_CONNECTION': return new RejectedSocketConnectionError(m);
    case 'NOT_ENOUGH_PROOF_OF_WORK': return withMessage(new NotEnoughProofOfWorkError(String(record['peerId']), maybeNum(record['required']), maybeNum(record['offered'])), m);
    case 'MYSELF': {
      const port = record['port'];
      return withMessage(new MyselfError(String(record['host']), typeof port === 'number' ? port : undefined), m);
    }
    case 'REJECTED_BY_NACK': {
      const points = record['alternativePoints'];
      return withMessage(new RejectedByNackError(num(record['motive']), Array.isArray(points) ? points.map(String) : undefined), m);
    }
    case 'INVALID_INCOMING_CIPHERTEXT_SIZE': return withMessage(new InvalidIncomingCiphertextSizeError(num(record['size'])), m);
    case 'INVALID_MESSAGE_SIZE': return withMessage(new InvalidMessageSizeError(num(record['size']), num(record['max'])), m);
    case 'INVALID_CHUNKS_SIZE':
      return withMessage(new InvalidChunksSizeError(num(record['value']), num(record['min']), num(record['max'])), m);
    case 'DECODING_ERROR': return withMessage(new DecodingError(record['reason'] as DecodingReason, '', { path: maybeString(record['path']) }), m);
    case 'ENCODING_ERROR': return withMessage(new EncodingError('', { path: maybeString(record['path']) }), m);
    case 'INVALID_PUBLIC_KEY': return new InvalidPublicKeyError(m);
    case 'TIMEOUT': return new TimeoutError(m);
    case 'ABORTED': return new AbortedError(m);
    case 'IDENTITY_MISMATCH': return withMessage(new IdentityMismatchError(String(record['expected']), String(record['found'])), m);
    case 'IDENTITY_KEYS_MISMATCH': return new IdentityKeysMismatchError(m);
    case 'INSUFFICIENT_PROOF_OF_WORK': return withMessage(new InsufficientProofOfWorkError(num(record['expected'])), m);
    case 'INVALID_IDENTITY': return withMessage(new InvalidIdentityError(''), m);
    case 'ENCODED_MESSAGE_CONSUMED': return new EncodedMessageConsumedError();
    case 'LENT_MESSAGE_RELEASED': return new LentMessageReleasedError();
    case 'REJECTED_NO_COMMON_PROTOCOL':
      return withMessage(new RejectedNoCommonProtocolError(num(record['motive']), record['announced'] as RejectedNoCommonProtocolError['announced']), m);
    default: return isPoolErrorCode(record.code) ? poolErrorFor(record.code, m) : Object.assign(new Error(m), { code: record.code });
  }
}
