/** A pool's refusals and failures: `PoolError` and its subclass for each code (protocol.md §10.3). */
import { named, P2pError } from './p2p-error.ts';

/**
 * A pool refused or failed an operation (protocol.md §10.3); on the wire at most a Nack or a
 * closed socket. Each failure is a subclass with its own literal `code`; `instanceof PoolError`
 * matches them all. `new PoolError(code, message)` builds the subclass for `code`.
 */
export class PoolError extends P2pError {
  static {
    named(this, 'PoolError');
  }
  declare readonly code: PoolErrorCode;
  constructor(code: PoolErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    if (new.target === PoolError) return poolErrorFor(code, message, options);
  }
}

/** `maxConnections` reached: an incoming peer is nacked with this motive; `pool.connect` fails before dialling. */
export class TooManyConnectionsError extends PoolError {
  static {
    named(this, 'TooManyConnectionsError');
  }
  override readonly code = 'TOO_MANY_CONNECTIONS' as const;
  constructor(message = 'too many connections', options?: ErrorOptions) {
    super('TOO_MANY_CONNECTIONS', message, options);
  }
}

/** A connection with that peer id exists or is being accepted (`allowDuplicatePeers` turns the check off). */
export class AlreadyConnectedError extends PoolError {
  static {
    named(this, 'AlreadyConnectedError');
  }
  override readonly code = 'ALREADY_CONNECTED' as const;
  constructor(message = 'already connected to this peer', options?: ErrorOptions) {
    super('ALREADY_CONNECTED', message, options);
  }
}

/** The address is banned or greylisted: `pool.connect` refuses to dial it. */
export class PointBannedError extends PoolError {
  static {
    named(this, 'PointBannedError');
  }
  override readonly code = 'POINT_BANNED' as const;
  constructor(message = 'point is banned or greylisted', options?: ErrorOptions) {
    super('POINT_BANNED', message, options);
  }
}

/** The peer id is banned or greylisted: closed after authentication, without a Nack. */
export class PeerBannedError extends PoolError {
  static {
    named(this, 'PeerBannedError');
  }
  override readonly code = 'PEER_BANNED' as const;
  constructor(message = 'peer is banned or greylisted', options?: ErrorOptions) {
    super('PEER_BANNED', message, options);
  }
}

/** `privateMode` is on and the peer is not in `trustedPeers`: closed, without a Nack. */
export class PrivateModeError extends PoolError {
  static {
    named(this, 'PrivateModeError');
  }
  override readonly code = 'PRIVATE_MODE' as const;
  constructor(message = 'private mode: the peer is not trusted', options?: ErrorOptions) {
    super('PRIVATE_MODE', message, options);
  }
}

/** We nacked the peer with a motive none of the other classes names (the `policy` hook). */
export class RejectedError extends PoolError {
  static {
    named(this, 'RejectedError');
  }
  override readonly code = 'REJECTED' as const;
  constructor(message = 'we rejected the peer', options?: ErrorOptions) {
    super('REJECTED', message, options);
  }
}

/** The pool was closed while the operation was pending, or before it started. */
export class PoolClosedError extends PoolError {
  static {
    named(this, 'PoolClosedError');
  }
  override readonly code = 'POOL_CLOSED' as const;
  constructor(message = 'pool is closed', options?: ErrorOptions) {
    super('POOL_CLOSED', message, options);
  }
}

/** A shard worker stopped, or kept dying at start-up and was given up; `cause` is its error. */
export class ShardFailedError extends PoolError {
  static {
    named(this, 'ShardFailedError');
  }
  override readonly code = 'SHARD_FAILED' as const;
  constructor(message = 'shard failed', options?: ErrorOptions) {
    super('SHARD_FAILED', message, options);
  }
}

/** The `policy` hook threw; `cause` is what it threw. */
export class PolicyFailedError extends PoolError {
  static {
    named(this, 'PolicyFailedError');
  }
  override readonly code = 'POLICY_FAILED' as const;
  constructor(message = 'policy hook failed', options?: ErrorOptions) {
    super('POLICY_FAILED', message, options);
  }
}

/** Every `PoolError` subclass: `err.code` narrows it. */
export type AnyPoolError =
  | TooManyConnectionsError
  | AlreadyConnectedError
  | PointBannedError
  | PeerBannedError
  | PrivateModeError
  | RejectedError
  | PoolClosedError
  | ShardFailedError
  | PolicyFailedError;

export type PoolErrorCode = AnyPoolError['code'];

const POOL_ERROR_CLASSES: { readonly [Code in PoolErrorCode]: new (message: string, options?: ErrorOptions) => Extract<AnyPoolError, { code: Code }> } = {
  TOO_MANY_CONNECTIONS: TooManyConnectionsError,
  ALREADY_CONNECTED: AlreadyConnectedError,
  POINT_BANNED: PointBannedError,
  PEER_BANNED: PeerBannedError,
  PRIVATE_MODE: PrivateModeError,
  REJECTED: RejectedError,
  POOL_CLOSED: PoolClosedError,
  SHARD_FAILED: ShardFailedError,
  POLICY_FAILED: PolicyFailedError,
};

/** True when `code` is the code of a `PoolError` subclass. */
export function isPoolErrorCode(code: string): code is PoolErrorCode {
  return Object.hasOwn(POOL_ERROR_CLASSES, code);
}

/** The `PoolError` subclass for `code`. */
export function poolErrorFor(code: PoolErrorCode, message: string, options?: ErrorOptions): AnyPoolError {
  return new POOL_ERROR_CLASSES[code](message, options);
}
