/**
 * Reading a socket's `remoteAddress` or `remotePort` leaves Node's cache of the peer's name on it,
 * an `{ address, family, port }` record and the address text (~90 B on every idle connection,
 * bench/idle-memory.ts). A pool reads them once, before the handshake, and keeps the host and
 * port itself; `forgetPeerName` drops the cache of a socket the pool owns. Node 24 fills it again
 * from the TCP handle when it is read while the socket is open (`Socket.prototype._getpeername`).
 */
import type { Socket } from 'node:net';

/** What this writes of a socket beyond its public API (Node 24): the peer name cache. */
interface PeerNameCache {
  _peername?: object | undefined;
}

export function forgetPeerName(socket: Socket): void {
  const cached = socket as Socket & PeerNameCache;
  if (cached._peername !== undefined) cached._peername = undefined;
}
