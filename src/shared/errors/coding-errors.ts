/** Errors of the binary codecs: bytes that do not decode, a value that does not encode (protocol.md §A). */
import { named, P2pError } from './p2p-error.ts';

/** Why a decode failed; mirrors Data_encoding's read errors (protocol.md §A). */
export type DecodingReason =
  | 'NOT_ENOUGH_DATA'
  | 'EXTRA_BYTES'
  | 'UNEXPECTED_TAG'
  | 'LIST_TOO_LONG'
  | 'SIZE_LIMIT_EXCEEDED'
  | 'INVALID_INT'
  | 'USER_FUNCTION';

/** Options of DecodingError and EncodingError: the cause, and where in the value the failure is. */
export interface CodingErrorOptions extends ErrorOptions {
  /** The field that failed, e.g. `Current_branch.locator.history[3]` (peer messages, docs/messages.md). */
  path?: string;
}

/** Bytes from the peer do not decode (connection message, metadata, Ack, stream) (protocol.md §10.1). */
export class DecodingError extends P2pError {
  static {
    named(this, 'DecodingError');
  }
  readonly code = 'DECODING_ERROR' as const;
  readonly reason: DecodingReason;
  /** The field that failed, when the decoder knows it. */
  readonly path: string | undefined;
  constructor(reason: DecodingReason, message: string, options?: CodingErrorOptions) {
    super(`decoding error (${reason}): ${options?.path === undefined ? '' : `${options.path}: `}${message}`, options);
    this.reason = reason;
    this.path = options?.path;
  }
  override fields(): Record<string, unknown> {
    return this.path === undefined ? { reason: this.reason } : { reason: this.reason, path: this.path };
  }
}

/** A local value could not be encoded (metadata, message, own connection message). */
export class EncodingError extends P2pError {
  static {
    named(this, 'EncodingError');
  }
  readonly code = 'ENCODING_ERROR' as const;
  /** The field that failed, when the encoder knows it. */
  readonly path: string | undefined;
  constructor(message: string, options?: CodingErrorOptions) {
    super(`encoding error: ${options?.path === undefined ? '' : `${options.path}: `}${message}`, options);
    this.path = options?.path;
  }
  override fields(): Record<string, unknown> {
    return this.path === undefined ? {} : { path: this.path };
  }
}
