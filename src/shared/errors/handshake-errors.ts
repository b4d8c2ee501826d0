/**
 * Errors of the handshake, from the connection message to the Ack: the peer's key, proof of work
 * or Nack, a connection to ourselves, no common protocol (protocol.md §7, §8, §10.1).
 */
import { motiveMeaning, motiveName } from '../wire/rejection.ts';
import { named, P2pError } from './p2p-error.ts';

/** `accept` wrapper of a DECIPHER_ERROR while reading the peer's Ack (protocol.md §10.1). */
export class InvalidAuthError extends P2pError {
  static {
    named(this, 'InvalidAuthError');
  }
  readonly code = 'INVALID_AUTH' as const;
  constructor(message = 'invalid authentication: the Ack chunk did not decipher', options?: ErrorOptions) {
    super(message, options);
  }
}

/** `accept` wrapper of a CONNECTION_CLOSED while reading the peer's Ack (protocol.md §10.1). */
export class RejectedSocketConnectionError extends P2pError {
  static {
    named(this, 'RejectedSocketConnectionError');
  }
  readonly code = 'REJECTED_SOCKET_CONNECTION' as const;
  constructor(message = 'socket connection rejected: the peer closed before its Ack', options?: ErrorOptions) {
    super(message, options);
  }
}

/** The peer's proof-of-work stamp does not meet our target (protocol.md §2.1, §11.1 step 4). */
export class NotEnoughProofOfWorkError extends P2pError {
  static {
    named(this, 'NotEnoughProofOfWorkError');
  }
  readonly code = 'NOT_ENOUGH_PROOF_OF_WORK' as const;
  readonly peerId: string;
  /** The difficulty we demand (`proofOfWorkDifficulty`), when known. */
  readonly required: number | undefined;
  /** The greatest whole difficulty the peer's stamp meets, when known. */
  readonly offered: number | undefined;
  constructor(peerId: string, required?: number, offered?: number) {
    const amounts = required === undefined || offered === undefined ? '' : `: its identity meets difficulty ${offered}, we require ${required}`;
    const hint = required === undefined ? '' : ' (lower proofOfWorkDifficulty, or have the peer generate a stronger identity)';
    super(`not enough proof of work from peer ${peerId}${amounts}${hint}`);
    this.peerId = peerId;
    this.required = required;
    this.offered = offered;
  }
  override fields(): Record<string, unknown> {
    return { peerId: this.peerId, required: this.required, offered: this.offered };
  }
}

/** The peer is ourselves: same peer id, after a successful metadata exchange (protocol.md §7.3). */
export class MyselfError extends P2pError {
  static {
    named(this, 'MyselfError');
  }
  readonly code = 'MYSELF' as const;
  readonly host: string;
  readonly port: number | undefined;
  constructor(host: string, port: number | undefined) {
    super(`connected to myself at ${host}${port === undefined ? '' : `:${port}`}`);
    this.host = host;
    this.port = port;
  }
  override fields(): Record<string, unknown> {
    return { host: this.host, port: this.port };
  }
}

/** The peer answered our Ack with a Nack or Nack_v_0 (protocol.md §8.6). */
export class RejectedByNackError extends P2pError {
  static {
    named(this, 'RejectedByNackError');
  }
  readonly code = 'REJECTED_BY_NACK' as const;
  /** Motive code (protocol.md §8.2); 0 for Nack_v_0. */
  readonly motive: number;
  /** Alternative points as text (`ip:port`, `[ipv6]:port`); `undefined` for Nack_v_0. */
  readonly alternativePoints: readonly string[] | undefined;
  constructor(motive: number, alternativePoints: readonly string[] | undefined) {
    const meaning = motiveMeaning(motive);
    super(
      `rejected by nack: the peer refused the connection, motive ${motiveName(motive)} (${motive})${meaning ? `: ${meaning}` : ''}` +
        `${alternativePoints ? `; ${alternativePoints.length} alternative points` : ''}`,
    );
    this.motive = motive;
    this.alternativePoints = alternativePoints;
  }
  override fields(): Record<string, unknown> {
    return { motive: this.motive, alternativePoints: this.alternativePoints };
  }
}

/** The peer's public key gives an all-zero X25519 shared secret (protocol.md §4.2). */
export class InvalidPublicKeyError extends P2pError {
  static {
    named(this, 'InvalidPublicKeyError');
  }
  readonly code = 'INVALID_PUBLIC_KEY' as const;
  constructor(message = 'peer public key yields an all-zero shared secret (low-order point)') {
    super(message);
  }
}

/**
 * We nacked the peer because no common version exists (chain name, ddb or p2p version).
 * The node's `Rejected_no_common_protocol {announced}` (protocol.md §10.1); the socket layer has no such
 * error, since it is the caller's policy that raises it.
 */
export class RejectedNoCommonProtocolError extends P2pError {
  static {
    named(this, 'RejectedNoCommonProtocolError');
  }
  readonly code = 'REJECTED_NO_COMMON_PROTOCOL' as const;
  /** The motive of the Nack we sent (2, 3 or 4). */
  readonly motive: number;
  /** What the peer announced. */
  readonly announced: { readonly chainName: string; readonly distributedDbVersion: number; readonly p2pVersion: number };
  constructor(motive: number, announced: RejectedNoCommonProtocolError['announced']) {
    super(
      `no common protocol with the peer (motive ${motive}): it announced ${announced.chainName} ` +
        `ddb ${announced.distributedDbVersion} p2p ${announced.p2pVersion}`,
    );
    this.motive = motive;
    this.announced = announced;
  }
  override fields(): Record<string, unknown> {
    return { motive: this.motive, announced: this.announced };
  }
}
