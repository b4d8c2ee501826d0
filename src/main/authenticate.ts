/**
 * `authenticate`: the first two handshake steps on a connected socket (protocol.md §11.1).
 */
import type { Socket } from 'node:net';
import { makePowTarget } from '../shared/crypto/pow.ts';
import { errorFromAbortReason, type P2pError } from '../shared/errors.ts';
import type { Identity } from '../shared/identity.ts';
import { runHandshake } from '../shared/session/handshake.ts';
import { HANDSHAKE_PROGRESS, HandshakeProgress } from '../shared/session/handshake-progress.ts';
import type { IoScheduler } from '../shared/session/io-scheduler.ts';
import { HANDSHAKE_INPUT_LIMIT, SessionTransport, socketHost } from '../shared/session/transport.ts';
import type { MetadataConfig } from '../shared/wire/metadata.ts';
import type { NetworkVersion } from '../shared/wire/network-version.ts';
import { AuthenticatedConnection } from './authenticated-connection.ts';
import { inlineHandshakeBackend } from './inline-backend.ts';
import { withDeadline } from '../shared/session/deadline.ts';
import { DEFAULT_POW_DIFFICULTY } from './options.ts';
import { OPTIONS_CHECKED, validateAuthenticateOptions } from './validate-options.ts';

export interface AuthenticateOptions<Meta> {
  readonly identity: Identity;
  /** True on the side that accepted the TCP connection. */
  readonly incoming: boolean;
  readonly announcedVersion: NetworkVersion;
  readonly metadata: MetadataConfig<Meta>;
  /** Proof-of-work difficulty demanded from the peer, 0..256, fractional allowed (default 24). */
  readonly proofOfWorkDifficulty?: number;
  /** Our listening port, announced to the peer (none by default). */
  readonly advertisedPort?: number;
  /** The peer's address and port as the caller knows them; default: the socket's. */
  readonly remoteHost?: string;
  readonly remotePort?: number;
  readonly signal?: AbortSignal;
  /** Milliseconds for the whole authentication. */
  readonly timeout?: number;
  /** Fixed connection-message nonce (tests that reproduce the spec's vectors); random otherwise. */
  readonly messageNonce?: Buffer;
  /** @internal the pool's inline engine follows the handshake's progress for its deadline. */
  readonly [HANDSHAKE_PROGRESS]?: HandshakeProgress;
  /** @internal the inline pool's bandwidth regulation (io-scheduler.ts). */
  readonly [IO_SCHEDULER]?: IoScheduler | undefined;
  /** @internal the pool checked these options once when it was built (validate-options.ts). */
  readonly [OPTIONS_CHECKED]?: true;
}

/** @internal option key: the IoScheduler an inline pool's sockets are regulated by. */
export const IO_SCHEDULER = Symbol('p2p-socket.ioScheduler');

export { OPTIONS_CHECKED };

/** The last difficulty's target, kept: a pool (or a server) asks for the same one on every handshake. */
let lastPowTarget: { readonly difficulty: number; readonly target: Buffer } | undefined;

function powTargetFor(difficulty: number): Buffer {
  if (lastPowTarget?.difficulty !== difficulty) lastPowTarget = { difficulty, target: makePowTarget(difficulty) };
  return lastPowTarget.target;
}

/** @internal A handshake under way on a socket; the caller owns its deadline. */
export interface StartedAuthentication<Meta> {
  readonly authenticated: Promise<AuthenticatedConnection<Meta>>;
  /** Ends it in any step: the socket is closed and `authenticated` rejects with `error`. */
  stop(error: P2pError): void;
}

/** @internal Who the peer is, as the caller knows it (the rest of the options are the pool's, shared by every handshake). */
export interface PeerAddress {
  readonly incoming: boolean;
  readonly host?: string | undefined;
  readonly port?: number | undefined;
}

/**
 * @internal Starts the handshake on `socket` (connected or accepted, nothing read yet), options
 * already checked, with no deadline of its own: `authenticate` and `connect` put one on it, and
 * an inline pool's connection lifecycle is the deadline (connection-lifecycle.ts), on the same
 * thread, which spares it a second timer, an AbortController and its listener per handshake.
 */
export function startAuthentication<Meta>(
  socket: Socket,
  options: Omit<AuthenticateOptions<Meta>, 'incoming'>,
  peer: PeerAddress,
  progress: HandshakeProgress,
): StartedAuthentication<Meta> {
  const transport = new SessionTransport(socket, HANDSHAKE_INPUT_LIMIT, options[IO_SCHEDULER]);
  progress.attach(transport);
  const difficulty = options.proofOfWorkDifficulty ?? DEFAULT_POW_DIFFICULTY;
  const authenticated = runHandshake(transport, {
    identity: options.identity,
    proofOfWorkTarget: powTargetFor(difficulty),
    proofOfWorkDifficulty: difficulty,
    progress,
    incoming: peer.incoming,
    remoteHost: peer.host ?? socketHost(socket),
    remotePort: peer.port ?? socket.remotePort ?? 0,
    advertisedPort: options.advertisedPort,
    announcedVersion: options.announcedVersion,
    metadata: options.metadata,
    messageNonce: options.messageNonce,
  }).then(
    (result) => new AuthenticatedConnection(result.info, inlineHandshakeBackend({ transport, sealer: result.sealer, opener: result.opener }, result.info.announcedVersion.p2pVersion), options.announcedVersion),
    (error: unknown) => {
      // Graceful: what we already wrote (our metadata, say) still reaches the peer, as OCaml's
      // scheduler drains its queue before closing the fd (protocol.md §12.1).
      void transport.close(error as P2pError);
      throw error;
    },
  );
  return { authenticated, stop: (error) => void transport.close(error) };
}

/**
 * Runs the handshake on `socket` (freshly connected or accepted, nothing read yet) and returns
 * the authenticated connection with the peer's info. On failure the socket is closed and the
 * promise rejects with a typed error: NOT_ENOUGH_PROOF_OF_WORK, MYSELF, DECIPHER_ERROR,
 * DECODING_ERROR, INVALID_INCOMING_CIPHERTEXT_SIZE, INVALID_PUBLIC_KEY, INVALID_MESSAGE_SIZE,
 * ENCODING_ERROR, CONNECTION_CLOSED, TIMEOUT or ABORTED. (OCaml leaves closing to the caller;
 * a socket nobody can use any more is closed here so it cannot leak.)
 */
export async function authenticate<Meta>(socket: Socket, options: AuthenticateOptions<Meta>): Promise<AuthenticatedConnection<Meta>> {
  try {
    if (!options[OPTIONS_CHECKED]) validateAuthenticateOptions(options);
  } catch (error) {
    socket.destroy();
    throw error;
  }
  if (options.signal?.aborted) {
    // Before the handshake starts: its first step writes our connection message, which the
    // graceful close would still deliver (test: already-aborted-authenticate).
    socket.destroy();
    throw errorFromAbortReason(options.signal.reason);
  }
  const progress = options[HANDSHAKE_PROGRESS] ?? new HandshakeProgress();
  const started = startAuthentication(socket, options, { incoming: options.incoming, host: options.remoteHost, port: options.remotePort }, progress);
  return withDeadline(started.authenticated, { signal: options.signal, timeout: options.timeout, waitingFor: () => progress.waitingFor() }, started.stop);
}
