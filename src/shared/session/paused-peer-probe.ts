/**
 * Looking at a socket whose reading we paused for a peer that is gone (transport.ts `pause`):
 * a paused socket is not read, so neither its peer's FIN nor its reset would surface before
 * reading resumes. A reset can be seen without reading; a FIN cannot (docs/security.md, "What a
 * paused connection notices").
 */
import type { Socket } from 'node:net';

/** How often a paused socket is looked at. */
export const PAUSED_PROBE_MS = 500;

/** What is probed each time: the transport, which ends the session if `peerHasReset`. */
export interface PausedPeer {
  probePeer(): void;
}

/**
 * What `peerHasReset` reads of a socket beyond its public API (Node 24): the TCP handle, whose
 * `getpeername` fails (ENOTCONN) once the peer has reset the connection, read or not.
 */
interface ProbedSocket {
  readonly _handle?: { getpeername?: (out: object) => number } | null;
}

/** Probes `peer` every PAUSED_PROBE_MS (unreferenced) until the caller clears the interval. */
export function watchPausedPeer(peer: PausedPeer): NodeJS.Timeout {
  return setInterval(probe, PAUSED_PROBE_MS, peer).unref();
}

/** True once the peer has reset the connection (the kernel dropped what it sent); false where that cannot be told. */
export function peerHasReset(socket: Socket): boolean {
  const handle = (socket as Socket & ProbedSocket)._handle;
  const getpeername = handle?.getpeername;
  return getpeername !== undefined && getpeername.call(handle, {}) !== 0;
}

function probe(peer: PausedPeer): void {
  peer.probePeer();
}
