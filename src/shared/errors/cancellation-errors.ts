/** Errors of an operation ended early: by its time limit or through its AbortSignal. */
import { named, P2pError } from './p2p-error.ts';

/** An operation ran past its time limit (OCaml `Timeout`). */
export class TimeoutError extends P2pError {
  static {
    named(this, 'TimeoutError');
  }
  readonly code = 'TIMEOUT' as const;
  constructor(message = 'operation timed out') {
    super(message);
  }
}

/** An operation was cancelled through its AbortSignal (OCaml `Canceled`). */
export class AbortedError extends P2pError {
  static {
    named(this, 'AbortedError');
  }
  readonly code = 'ABORTED' as const;
  constructor(message = 'operation aborted', options?: ErrorOptions) {
    super(message, options);
  }
}

/** Turns an abort reason into ABORTED or TIMEOUT (AbortSignal.timeout() gives a TimeoutError DOMException). */
export function errorFromAbortReason(reason: unknown): P2pError {
  if (reason instanceof P2pError) return reason;
  if (typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'TimeoutError') {
    return new TimeoutError();
  }
  return new AbortedError('operation aborted', { cause: reason });
}
