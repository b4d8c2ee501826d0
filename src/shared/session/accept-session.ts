/**
 * Step 3 of the handshake on whichever thread owns the socket: send our Ack or Nack and, for an
 * Ack, read the peer's (protocol.md §11.3), with the accept-side error mapping of protocol.md §10.1.
 */
import {
  ConnectionClosedError,
  DecipherError,
  InvalidAuthError,
  type P2pError,
  RejectedByNackError,
  RejectedSocketConnectionError,
} from '../errors.ts';
import { formatPoint, type Point } from '../wire/point.ts';
import type { ChunkOpener, ChunkSealer } from './chunk-cipher.ts';
import { ByteEngine, type SessionLimits } from './byte-engine.ts';
import { readAck, sendAck } from './handshake.ts';
import type { SessionTransport } from './transport.ts';

/** The socket-owning side of an authenticated connection, before accept or nack. */
export interface HandshakeState {
  readonly transport: SessionTransport;
  readonly sealer: ChunkSealer;
  readonly opener: ChunkOpener;
}

/**
 * Sends Ack, reads the peer's answer; Ack gives the established session. Any failure closes the
 * socket and is mapped: CONNECTION_CLOSED → REJECTED_SOCKET_CONNECTION, DECIPHER_ERROR →
 * INVALID_AUTH; a Nack → REJECTED_BY_NACK. `watch` lets the caller put a deadline on the read.
 */
export async function acceptSession(
  state: HandshakeState,
  limits: SessionLimits,
  watch: <T>(operation: Promise<T>) => Promise<T> = (operation) => operation,
): Promise<ByteEngine> {
  const { transport, sealer, opener } = state;
  try {
    sendAck(transport, sealer, { kind: 'ack' });
    const answer = await watch(readAck(transport, opener));
    if (answer.kind === 'nack_v0') throw new RejectedByNackError(0, undefined);
    if (answer.kind === 'nack') throw new RejectedByNackError(answer.motive, answer.points.map(formatPoint));
  } catch (error) {
    void transport.close();
    throw acceptError(error);
  }
  return new ByteEngine(transport, sealer, opener, limits);
}

/**
 * Sends Nack (with motive and points when the peer announced p2p_version ≥ 1) or Nack_v_0
 * (protocol.md §8.5), then flushes and closes the socket.
 */
export async function nackSession(state: HandshakeState, peerP2pVersion: number, motive: number, points: readonly Point[]): Promise<void> {
  try {
    sendAck(state.transport, state.sealer, peerP2pVersion >= 1 ? { kind: 'nack', motive, points: [...points] } : { kind: 'nack_v0' });
  } finally {
    await state.transport.close();
  }
}

/** The accept-side mapping of protocol.md §10.1. */
function acceptError(error: unknown): unknown {
  if (error instanceof ConnectionClosedError) return new RejectedSocketConnectionError(undefined, { cause: error });
  if (error instanceof DecipherError) return new InvalidAuthError(undefined, { cause: error as P2pError });
  return error;
}
