/**
 * `connect`: dial a peer and authenticate it, under one deadline (OCaml's `connection_timeout`).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { ConnectionClosedError } from '../shared/errors.ts';
import type { AuthenticatedConnection } from './authenticated-connection.ts';
import { authenticate, OPTIONS_CHECKED, type AuthenticateOptions } from './authenticate.ts';
import { withDeadline } from '../shared/session/deadline.ts';
import { HANDSHAKE_PROGRESS, HandshakeProgress } from '../shared/session/handshake-progress.ts';
import { validateConnectArguments } from './validate-options.ts';

export type ConnectOptions<Meta> = Omit<AuthenticateOptions<Meta>, 'incoming' | 'remoteHost' | 'remotePort'>;

/**
 * Opens a TCP connection to `host:port` and authenticates as the initiator. A refused or reset
 * TCP connection gives CONNECTION_CLOSED; the deadline (`timeout`, `signal`) covers dialling
 * and the handshake.
 */
export async function connect<Meta>(host: string, port: number, options: ConnectOptions<Meta>): Promise<AuthenticatedConnection<Meta>> {
  if (!options[OPTIONS_CHECKED]) validateConnectArguments(host, port, options);
  const started = Date.now();
  // One progress from the dial to the metadata, so every timeout names what it waited for.
  const progress = options[HANDSHAKE_PROGRESS] ?? new HandshakeProgress(`${host}:${port}`);
  const socket = netConnect({ host, port });
  await withDeadline(connected(socket, host, port), { ...options, waitingFor: () => progress.waitingFor() }, () => socket.destroy());
  const timeout = options.timeout === undefined ? undefined : Math.max(1, options.timeout - (Date.now() - started));
  return authenticate(socket, { ...options, timeout, incoming: false, remoteHost: host, remotePort: port, [HANDSHAKE_PROGRESS]: progress, [OPTIONS_CHECKED]: true });
}

function connected(socket: Socket, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      socket.destroy();
      reject(new ConnectionClosedError(`cannot connect to ${host}:${port}: ${error.message}`));
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve();
    });
  });
}
