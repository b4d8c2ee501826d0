/**
 * Dialling a peer, the same on main (`connect`, an inline pool) and in a shard: a TCP connection
 * to `host:port`, and a CONNECTION_CLOSED that keeps the system error as `cause` when it fails
 * (closed-before-handshake.ts).
 */
import { connect as netConnect, type Socket } from 'node:net';
import type { ConnectionClosedError } from '../errors.ts';
import { dialFailedError } from './closed-before-handshake.ts';

/** Opens the connection; exactly one of `connected` and `failed` is called, once. */
export function dial(host: string, port: number, connected: () => void, failed: (error: ConnectionClosedError) => void): Socket {
  const socket = netConnect({ host, port });
  const onError = (error: Error): void => failed(dialFailedError(host, port, error));
  socket.once('error', onError);
  socket.once('connect', () => {
    socket.off('error', onError);
    connected();
  });
  return socket;
}
