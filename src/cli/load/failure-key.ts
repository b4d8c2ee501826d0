/**
 * How the load tool names a failure in its tables (`handshake_errors`, `errors`, the live view):
 * the error's code, and what a person needs to act on it: the Nack's motive, whether the target
 * closed the connection before any handshake byte (refused before authentication), the system
 * error (ECONNREFUSED: nothing listens; ECONNRESET). `CONNECTION_CLOSED (refused before
 * handshake, ECONNRESET)`, `REJECTED_BY_NACK (Too_many_connections)`, `TIMEOUT`.
 */
import { P2pError, type ConnectionClosedError, type RejectedByNackError } from '../../shared/errors.ts';
import { motiveName } from '../../shared/wire/rejection.ts';

/** The key for a closed connection refused before authentication (load-command.ts explains it). */
export const REFUSED_BEFORE_HANDSHAKE = 'refused before handshake';

export function failureKey(error: unknown): string {
  if (!(error instanceof P2pError)) return 'INTERNAL_ERROR';
  if (error.code === 'REJECTED_BY_NACK') return `REJECTED_BY_NACK (${motiveName((error as RejectedByNackError).motive)})`;
  if (error.code !== 'CONNECTION_CLOSED') return error.code;
  const { beforeHandshake, systemCode } = error as ConnectionClosedError;
  const details = [...(beforeHandshake ? [REFUSED_BEFORE_HANDSHAKE] : []), ...(systemCode === undefined ? [] : [systemCode])];
  return details.length === 0 ? error.code : `${error.code} (${details.join(', ')})`;
}
