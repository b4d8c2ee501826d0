/**
 * `connect`: dial a peer and authenticate it, under one deadline (OCaml's `connection_timeout`).
 */
import type { Socket } from 'node:net';
import type { P2pError } from '../shared/errors.ts';
import { dial } from '../shared/session/dial.ts';
import type { AuthenticatedConnection } from './authenticated-connection.ts';
import { OPTIONS_CHECKED, startAuthentication, type AuthenticateOptions, type StartedAuthentication } from './authenticate.ts';
import { withDeadline } from '../shared/session/deadline.ts';
import { HANDSHAKE_PROGRESS, HandshakeProgress } from '../shared/session/handshake-progress.ts';
import type { Point } from '../shared/wire/point.ts';
import { validateConnectArguments, validateConnectPoint } from './validate-options.ts';

export type ConnectOptions<Meta> = Omit<AuthenticateOptions<Meta>, 'incoming' | 'remoteHost' | 'remotePort'>;

/**
 * Opens a TCP connection to `host:port` and authenticates as the initiator. A refused or reset
 * TCP connection gives CONNECTION_CLOSED; the deadline (`timeout`, `signal`) covers dialling
 * and the handshake. The point may be given as `pool.connect` takes it: `connect({ host, port }, options)`.
 */
export function connect<Meta>(point: Point, options: ConnectOptions<Meta>): Promise<AuthenticatedConnection<Meta>>;
export function connect<Meta>(host: string, port: number, options: ConnectOptions<Meta>): Promise<AuthenticatedConnection<Meta>>;
export async function connect<Meta>(
  hostOrPoint: string | Point,
  portOrOptions: number | ConnectOptions<Meta>,
  lastOptions?: ConnectOptions<Meta>,
): Promise<AuthenticatedConnection<Meta>> {
  if (typeof hostOrPoint === 'object' && hostOrPoint !== null) {
    validateConnectPoint(hostOrPoint, portOrOptions);
    return connectTo(hostOrPoint.host, hostOrPoint.port, portOrOptions as ConnectOptions<Meta>);
  }
  return connectTo(hostOrPoint, portOrOptions as number, lastOptions as ConnectOptions<Meta>);
}

async function connectTo<Meta>(host: string, port: number, options: ConnectOptions<Meta>): Promise<AuthenticatedConnection<Meta>> {
  if (!options?.[OPTIONS_CHECKED]) validateConnectArguments(host, port, options);
  // One progress from the dial to the metadata, so every timeout names what it waited for.
  const progress = options[HANDSHAKE_PROGRESS] ?? new HandshakeProgress(`${host}:${port}`);
  const started = startConnect(host, port, options, progress);
  return withDeadline(started.authenticated, { signal: options.signal, timeout: options.timeout, waitingFor: () => progress.waitingFor() }, started.stop);
}

/**
 * @internal Dials, then starts the handshake, with no deadline of its own (see
 * `startAuthentication`): one deadline over both, instead of a timer for the dial and another
 * for the handshake with the time left.
 */
export function startConnect<Meta>(host: string, port: number, options: ConnectOptions<Meta>, progress: HandshakeProgress): StartedAuthentication<Meta> {
  let handshake: StartedAuthentication<Meta> | undefined;
  let failDial: ((error: P2pError) => void) | undefined;
  let socket!: Socket;
  const dialed = new Promise<void>((resolve, reject) => {
    failDial = (error) => {
      socket.destroy();
      reject(error);
    };
    socket = dial(
      host,
      port,
      () => {
        failDial = undefined;
        resolve();
      },
      (error) => failDial!(error),
    );
  });
  let stopped: P2pError | undefined;
  const authenticated = dialed.then(() => {
    if (stopped) {
      // Stopped between 'connect' and this microtask.
      socket.destroy();
      throw stopped;
    }
    handshake = startAuthentication(socket, options, { incoming: false, host, port }, progress);
    return handshake.authenticated;
  });
  return {
    authenticated,
    stop: (error) => {
      stopped ??= error;
      if (handshake) handshake.stop(error);
      else failDial?.(error);
    },
  };
}
