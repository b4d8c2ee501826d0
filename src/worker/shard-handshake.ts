/**
 * What a shard connection's handshake runs with and hands on (shard-connection.ts runs the
 * steps): the handshake's parameters from the shard's settings, what of its result main is told
 * (main decodes the metadata and checks Myself, protocol.md §7.3) and the socket side keeps for
 * accept or nack, the session limits an accept sets, and what each state before `established`
 * waits for, for a TIMEOUT's message.
 */
import type { HandshakeState } from '../shared/session/accept-session.ts';
import { ENGINE_INCOMING_QUEUE, type SessionLimits } from '../shared/session/byte-engine.ts';
import type { HandshakeParams, HandshakeResult } from '../shared/session/handshake.ts';
import { WAITING_FOR_ACK, WAITING_FOR_POLICY, type HandshakeProgress } from '../shared/session/handshake-progress.ts';
import type { LifecycleState } from '../shared/session/lifecycle-state.ts';
import type { SessionTransport } from '../shared/session/transport.ts';
import type { SessionLimitsRecord, WireInfo } from '../shared/shard/protocol.ts';
import type { ShardContext } from './shard-context.ts';

/** What the socket side keeps of an authenticated connection until main's accept or nack. */
export type ShardHandshake = HandshakeState & { readonly p2pVersion: number };

/** The handshake's parameters for a connection with `host:port`; the metadata stays bytes for main. */
export function handshakeParams(context: ShardContext, progress: HandshakeProgress, incoming: boolean, host: string, port: number): HandshakeParams<Buffer> {
  return {
    identity: context.identity,
    proofOfWorkTarget: context.powTarget,
    proofOfWorkDifficulty: context.proofOfWorkDifficulty,
    progress,
    incoming,
    remoteHost: host,
    remotePort: port,
    advertisedPort: context.advertisedPort(),
    announcedVersion: context.announcedVersion,
    metadata: context.metadata,
    callerChecksMyself: true,
  };
}

export function shardHandshake(transport: SessionTransport, result: HandshakeResult<Buffer>): ShardHandshake {
  return { transport, sealer: result.sealer, opener: result.opener, p2pVersion: result.info.announcedVersion.p2pVersion };
}

/** What main is told of the peer: plain data that crosses the thread boundary. */
export function wireInfo(result: HandshakeResult<Buffer>): WireInfo {
  const { info } = result;
  return {
    peerId: info.peerId,
    publicKey: new Uint8Array(info.publicKey), // 32 bytes cross, not the slab it sits in
    announcedVersion: info.announcedVersion,
    incoming: info.incoming,
    idPoint: info.idPoint,
    remoteSocketPort: info.remoteSocketPort,
    remoteMetadata: info.remoteMetadata,
    myself: result.myself,
  };
}

/**
 * The limits of the session an accept establishes: the engine's own small queue (main holds the
 * reader's, bounded by the credit) and no outgoing bound (main's in-flight bound is the shard's),
 * every message copied to main at once.
 */
export function acceptedSessionLimits(context: ShardContext, limits: SessionLimitsRecord): SessionLimits {
  return {
    incomingQueueSize: ENGINE_INCOMING_QUEUE,
    outgoingQueueSize: Number.POSITIVE_INFINITY,
    maxMessageSize: limits.maxMessageSize,
    detachSmallMessages: false,
    pendingBudget: context.pendingBudget,
    messageTimeout: context.messageTimeout,
  };
}

/** What a connection in `state` waits for, for a TIMEOUT's message (main asks it too). */
export function waitingIn(state: LifecycleState, progress: HandshakeProgress | undefined): string {
  switch (state) {
    case 'dialing':
    case 'handshaking':
      return progress?.waitingFor() ?? `the connection is ${state}`;
    case 'authenticated':
      return WAITING_FOR_POLICY;
    case 'accepting':
      return WAITING_FOR_ACK;
    default:
      return `the connection is ${state}`;
  }
}
