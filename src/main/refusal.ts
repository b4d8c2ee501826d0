/**
 * What a pool tells about the peers it turns away: its `'refused'` and `'greylisted'` events
 * (docs/pool.md, Refusals). A refused dialler sees only a closed socket or a Nack; these events
 * are where the listening side says why, and which option to change.
 */
import type { P2pErrorCode } from '../shared/errors.ts';
import { MOTIVE } from '../shared/wire/rejection.ts';
import type { AdmissionRefusal } from './handshake-admission.ts';

/** The Pool option (or hook) that decides a refusal: change it to let such peers in. */
export type RefusalOption =
  | 'maxIncomingHandshakes'
  | 'maxIncomingHandshakesPerAddress'
  | 'greylistMs'
  | 'maxHandshakeTimeouts'
  | 'maxConnections'
  | 'allowDuplicatePeers'
  | 'trustedPeers'
  | 'chainName'
  | 'distributedDbVersions'
  | 'p2pVersions'
  | 'policy';

/**
 * A connection the pool refused, in either direction, as its `'refused'` event carries it.
 * Before the handshake (`peerId` undefined) the socket was closed with nothing sent: the peer
 * sees the connection closed before any handshake byte. After it, the peer got a Nack
 * (`motive`) or a close without an answer.
 */
export interface Refusal {
  /** The peer's IP address, canonical (`127.0.0.1`, `2001:db8::1`). */
  readonly address: string;
  /** The peer's TCP port: the source port of an incoming connection, the port we dialled otherwise. */
  readonly port: number | undefined;
  /** `incoming`: the peer dialled us; `outgoing`: our `connect`, refused by our own policy. */
  readonly direction: 'incoming' | 'outgoing';
  /** The peer's id, when the refusal came after authentication. */
  readonly peerId: string | undefined;
  /**
   * Also the key it is counted under in `stats().errors`. Before the handshake:
   * `TOO_MANY_HANDSHAKES`, `TOO_MANY_HANDSHAKES_FROM_ADDRESS`, `POINT_BANNED` (banned, or
   * greylisted: then `until` is set), `POOL_CLOSED`. During it: `TIMEOUT`, a handshake evicted
   * for a new socket when every slot was taken (handshake-admission.ts). After it: `PEER_BANNED`,
   * `PRIVATE_MODE`, the nacks `TOO_MANY_CONNECTIONS`, `ALREADY_CONNECTED`,
   * `REJECTED_NO_COMMON_PROTOCOL`, `REJECTED` (any other motive), or the code of the error a
   * `policy` hook closed with.
   */
  readonly code: AdmissionRefusal | P2pErrorCode;
  /** Why, in a sentence with the numbers (`3 incoming handshakes in flight from 127.0.0.1 …`). */
  readonly reason: string;
  /** The option that governs it; undefined for a ban (`pool.ban`, lifted by `pool.unban`) and a closing pool. */
  readonly option: RefusalOption | undefined;
  /** The Nack's motive (protocol.md §8.2), when the peer was nacked. */
  readonly motive: number | undefined;
  /** Milliseconds since the epoch when the address's greylisting ends, for a greylisted address. */
  readonly until: number | undefined;
}

/**
 * An address the pool greylisted, as its `'greylisted'` event carries it: until `until`, every
 * connection from it is closed before the handshake (`'refused'` with `POINT_BANNED`), and the
 * pool does not dial it. `pool.unban({ address })` lifts it early; `greylistMs: 0` turns
 * greylisting off.
 */
export interface Greylisting {
  readonly address: string;
  /**
   * The failure that got it greylisted: a failed authentication (`NOT_ENOUGH_PROOF_OF_WORK`,
   * `DECIPHER_ERROR`, `DECODING_ERROR` …, protocol.md §10.2) or `TIMEOUT` (`maxHandshakeTimeouts`
   * incoming handshakes in a row let time out, or evicted after long silence).
   */
  readonly code: string;
  readonly reason: string;
  /** Milliseconds since the epoch when it ends. */
  readonly until: number;
  /** `greylistMs` (how long), or `maxHandshakeTimeouts` for repeated timeouts. */
  readonly option: 'greylistMs' | 'maxHandshakeTimeouts';
}

/** The option behind a refusal, from its code (and motive, for a version mismatch). */
export function refusalOption(code: string, motive: number | undefined, greylisted: boolean): RefusalOption | undefined {
  switch (code) {
    case 'TOO_MANY_HANDSHAKES':
      return 'maxIncomingHandshakes';
    case 'TOO_MANY_HANDSHAKES_FROM_ADDRESS':
      return 'maxIncomingHandshakesPerAddress';
    case 'POINT_BANNED':
      return greylisted ? 'greylistMs' : undefined;
    case 'TOO_MANY_CONNECTIONS':
      return 'maxConnections';
    case 'ALREADY_CONNECTED':
      return 'allowDuplicatePeers';
    case 'PRIVATE_MODE':
      return 'trustedPeers';
    case 'REJECTED_NO_COMMON_PROTOCOL':
      return motive === MOTIVE.UNKNOWN_CHAIN_NAME ? 'chainName' : motive === MOTIVE.DEPRECATED_DISTRIBUTED_DB_VERSION ? 'distributedDbVersions' : 'p2pVersions';
    default:
      return undefined;
  }
}
