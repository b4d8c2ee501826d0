/**
 * The socket a shard keeps for a connection main moved to it (`adopt`, architecture.md §2).
 *
 * Node hands a socket received through `postMessage` over with its own properties in dictionary
 * mode: about 1.6 KB of hash table per connection, where a socket made on this thread shares its
 * shape with every other socket and keeps its fields in itself (about 300 B). Main moves a socket
 * that has read and written nothing (Node's transfer check), so nothing is lost by moving its TCP
 * handle into a socket made here; the received one, left without a handle, is dropped.
 */
import { Socket, type SocketConstructorOpts } from 'node:net';

/** What this reads of a socket beyond its public API (Node 24): the TCP handle, and the constructor option that wraps one. */
interface HandleOwner {
  _handle?: object | null;
}

export function adoptedSocket(received: Socket): Socket {
  const owner = received as Socket & HandleOwner;
  const handle = owner._handle;
  if (!handle || received.destroyed) return received;
  const options = { handle, allowHalfOpen: received.allowHalfOpen, pauseOnCreate: true } as SocketConstructorOpts;
  const socket = new Socket(options);
  owner._handle = null;
  return socket;
}
