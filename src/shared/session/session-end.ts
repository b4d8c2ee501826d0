/**
 * How a session ended, as both placements report it (the connection's `'close'` event): who
 * closed it, the error that ended the stream, and what a close dropped of the outgoing queue.
 */
import type { P2pError } from '../errors.ts';

/** What a close dropped: messages accepted for sending that never reached the socket. */
export interface CloseOutcome {
  readonly droppedMessages: number;
  /** Their encoded bytes (prefix, body and chunk framing), as `encode` laid them out. */
  readonly droppedBytes: number;
}

export interface SessionEnd extends CloseOutcome {
  /** `'local'`: this side closed it first; `'peer'`: the peer closed or reset it, or its bytes failed. */
  readonly by: 'local' | 'peer';
  /**
   * The error that ended the stream: a protocol or stream failure (DECIPHER_ERROR, TIMEOUT …), or
   * CONNECTION_CLOSED with the socket's `systemCode` (ECONNRESET: the peer reset the connection).
   * `undefined` for an orderly close by either side.
   */
  readonly error: P2pError | undefined;
}

/** Called once the socket of an established session is gone. */
export interface SessionEndListener {
  sessionEnded(end: SessionEnd): void;
}

/** The error worth reporting of a stream's end: none for an orderly close. */
export function endError(failure: P2pError | undefined): P2pError | undefined {
  if (failure === undefined || failure.code !== 'CONNECTION_CLOSED') return failure;
  return (failure as P2pError & { systemCode?: string }).systemCode === undefined ? undefined : failure;
}
