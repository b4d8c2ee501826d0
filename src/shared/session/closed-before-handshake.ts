/**
 * What a dialler reports when a connection ends before the peer's handshake began: the dial
 * failed (nothing listens, a firewall), or the peer accepted and closed without sending a byte,
 * which is how a listener refuses before authentication (protocol.md §11.4). Both keep the
 * system error as `cause` (ECONNREFUSED, ECONNRESET …). Used by both pool modes and `connect`.
 */
import { ConnectionClosedError } from '../errors.ts';
import type { SessionTransport } from './transport.ts';

/** Where a refusal before authentication comes from, and the Pool options that govern each cause. */
const LIKELY_CAUSES =
  'likely causes: its admission limits (a p2p-socket Pool: maxIncomingHandshakes, maxIncomingHandshakesPerAddress; ' +
  'a node: its incoming handshakes in flight), or our address greylisted (after a failed handshake such as too little ' +
  'proof of work, or repeated handshake timeouts: greylistMs, maxHandshakeTimeouts) or banned. ' +
  "A p2p-socket listener reports each refusal on its Pool's 'refused' event (docs/troubleshooting.md)";

/**
 * The dial to `host:port` failed: `error` is the socket's. A reset (ECONNRESET) means the peer's
 * kernel took the connection and the listener closed it at once: a refusal, as below.
 */
export function dialFailedError(host: string, port: number, error: Error): ConnectionClosedError {
  if ((error as { code?: unknown }).code === 'ECONNRESET') return refusedError(`${host}:${port}`, 'ECONNRESET', error);
  return new ConnectionClosedError(`cannot connect to ${host}:${port}: ${error.message}`, { cause: error });
}

/**
 * `error`, or when it is the peer closing the connection we dialled before any byte of its
 * handshake arrived, a CONNECTION_CLOSED that says so (`beforeHandshake`), names the likely
 * causes, and keeps the socket's error as `cause`.
 */
export function closedBeforeHandshake(error: unknown, transport: SessionTransport, peer: string): unknown {
  if (!(error instanceof ConnectionClosedError) || transport.closedLocally || transport.stats.totalRecv !== 0) return error;
  return refusedError(peer, error.systemCode, error.cause);
}

function refusedError(peer: string, systemCode: string | undefined, cause: unknown): ConnectionClosedError {
  const seen = systemCode === undefined ? 'an orderly close' : `socket error ${systemCode}`;
  return new ConnectionClosedError(
    `${peer} closed the connection before sending any byte of its handshake (${seen}): it refused us before authentication; ${LIKELY_CAUSES}`,
    { beforeHandshake: true, ...(cause === undefined ? {} : { cause }) },
  );
}
