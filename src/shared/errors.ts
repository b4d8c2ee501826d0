/**
 * Typed errors of the P2P socket layer (protocol.md §10).
 *
 * Every failure is its own class with a literal `code`, so TypeScript users can narrow on
 * `err.code`, and a `name` that is the class name. A registry-wide brand (`Symbol.for`) lets
 * `instanceof` of any of the classes work across copies of the library; errors that cross a
 * thread boundary travel as records and are rebuilt into their class (`errorFromRecord`).
 */
import { motiveMeaning, motiveName } from './wire/rejection.ts';

/**
 * Where an error lists the `name` of every class it is an instance of. `instanceof` reads this
 * list rather than the prototype chain, so it holds for an error made by another copy of the
 * library (two installed versions, or `dist` beside `src`).
 */
const BRAND = Symbol.for('p2p-socket.error');

/** A plain record an error travels as between threads or processes (JSON, structured clone). */
export interface ErrorRecord {
  readonly code: string;
  readonly message: string;
  readonly [field: string]: unknown;
}

/** Gives an error class its `name` (what `err.name` and stack traces show), which is also its brand. */
function named(errorClass: abstract new (...args: never[]) => P2pError, name: string): void {
  Object.defineProperty(errorClass.prototype, 'name', { value: name, writable: true, enumerable: false, configurable: true });
}

/**
 * The names of an error's classes, from its own class up to `P2pError`. A subclass that did not
 * name itself (the command line's, a user's) is named here after its constructor.
 */
function brandsOf(error: P2pError): string[] {
  const brands: string[] = [];
  for (let proto: object | null = Object.getPrototypeOf(error); proto !== null && proto !== Error.prototype; proto = Object.getPrototypeOf(proto)) {
    if (!Object.hasOwn(proto, 'name') && Object.hasOwn(proto, 'constructor')) {
      named((proto as { constructor: abstract new () => P2pError }).constructor, (proto as { constructor: { name: string } }).constructor.name);
    }
    if (Object.hasOwn(proto, 'name')) brands.push(String((proto as { name: unknown }).name));
  }
  return brands;
}

/** The base of every error the library throws: a literal `code`, and a `name` that is the class name. */
export abstract class P2pError extends Error {
  static {
    named(this, 'P2pError');
  }
  abstract readonly code: string;
  declare readonly [BRAND]: readonly string[];

  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    // Not enumerable: logs and deep comparisons of errors show their fields, not the brand.
    Object.defineProperty(this, BRAND, { value: brandsOf(this) });
  }

  /** True for an instance of this class made by any copy of the library (see `BRAND`). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // A subclass never constructed yet has no name: checked the ordinary way.
    if (!Object.hasOwn(this.prototype, 'name')) return Function.prototype[Symbol.hasInstance].call(this, value);
    if (typeof value !== 'object' || value === null) return false;
    const brands = (value as { [BRAND]?: unknown })[BRAND];
    return Array.isArray(brands) && brands.includes(this.prototype.name);
  }

  /** The fields beyond `code` and `message`, for JSON output and thread crossing. */
  fields(): Record<string, unknown> {
    return {};
  }

  toRecord(): ErrorRecord {
    return { code: this.code, message: this.message, ...this.fields() };
  }
}

/** What a CONNECTION_CLOSED knows beyond its message. */
export interface ConnectionClosedOptions extends ErrorOptions {
  /** The peer closed before sending any byte of its handshake (see `beforeHandshake`). */
  readonly beforeHandshake?: boolean;
  /** The system error code, when `cause` cannot carry it (an error rebuilt from its record). */
  readonly systemCode?: string | undefined;
}

/** Reads from or writes to a connection that is closed, or the peer went away (protocol.md §10.1). */
export class ConnectionClosedError extends P2pError {
  static {
    named(this, 'ConnectionClosedError');
  }
  readonly code = 'CONNECTION_CLOSED' as const;
  /**
   * The system error the socket failed with (`ECONNRESET`, `ECONNREFUSED`, `EPIPE` …), when there
   * was one: `cause` is that error. Undefined for an orderly close (the peer's FIN) or our own.
   */
  readonly systemCode: string | undefined;
  /**
   * True when the peer closed the connection we dialled before sending any byte of its handshake:
   * it refused us before authentication (a listener's admission limits, our address greylisted or
   * banned; docs/pool.md, "Refusals").
   */
  readonly beforeHandshake: boolean;
  constructor(message = 'connection closed', options?: ConnectionClosedOptions) {
    super(message, options);
    this.systemCode = options?.systemCode ?? systemCodeOf(options?.cause);
    this.beforeHandshake = options?.beforeHandshake ?? false;
  }
  override fields(): Record<string, unknown> {
    return { systemCode: this.systemCode, beforeHandshake: this.beforeHandshake };
  }
}

/** The `code` of a Node system error (`ECONNRESET` …), if `error` is one. */
function systemCodeOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** Poly1305 verification failed on an incoming chunk (protocol.md §6.3). */
export class DecipherError extends P2pError {
  static {
    named(this, 'DecipherError');
  }
  readonly code = 'DECIPHER_ERROR' as const;
  constructor(message = 'chunk authentication failed') {
    super(message);
  }
}

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

/** Incoming chunk header announces fewer than 16 bytes (protocol.md §6.3). */
export class InvalidIncomingCiphertextSizeError extends P2pError {
  static {
    named(this, 'InvalidIncomingCiphertextSizeError');
  }
  readonly code = 'INVALID_INCOMING_CIPHERTEXT_SIZE' as const;
  readonly size: number;
  constructor(size: number) {
    super(`invalid incoming ciphertext size ${size} (< 16)`);
    this.size = size;
  }
  override fields(): Record<string, unknown> {
    return { size: this.size };
  }
}

/** A chunk plaintext we were asked to send is larger than a chunk can carry (protocol.md §6.3). */
export class InvalidMessageSizeError extends P2pError {
  static {
    named(this, 'InvalidMessageSizeError');
  }
  readonly code = 'INVALID_MESSAGE_SIZE' as const;
  readonly size: number;
  readonly max: number;
  constructor(size: number, max: number) {
    super(`invalid message size ${size} (max ${max})`);
    this.size = size;
    this.max = max;
  }
  override fields(): Record<string, unknown> {
    return { size: this.size, max: this.max };
  }
}

/** `binaryChunksSize` outside [19, 65535] (protocol.md §6.4). */
export class InvalidChunksSizeError extends P2pError {
  static {
    named(this, 'InvalidChunksSizeError');
  }
  readonly code = 'INVALID_CHUNKS_SIZE' as const;
  readonly value: number;
  readonly min: number;
  readonly max: number;
  constructor(value: number, min: number, max: number) {
    super(`invalid chunks size ${value} (must be in [${min}, ${max}])`);
    this.value = value;
    this.min = min;
    this.max = max;
  }
  override fields(): Record<string, unknown> {
    return { value: this.value, min: this.min, max: this.max };
  }
}

/** Why a decode failed; mirrors Data_encoding's read errors (protocol.md §A). */
export type DecodingReason =
  | 'NOT_ENOUGH_DATA'
  | 'EXTRA_BYTES'
  | 'UNEXPECTED_TAG'
  | 'LIST_TOO_LONG'
  | 'SIZE_LIMIT_EXCEEDED'
  | 'INVALID_INT'
  | 'USER_FUNCTION';

/** Options of DecodingError and EncodingError: the cause, and where in the value the failure is. */
export interface CodingErrorOptions extends ErrorOptions {
  /** The field that failed, e.g. `Current_branch.locator.history[3]` (peer messages, docs/messages.md). */
  path?: string;
}

/** Bytes from the peer do not decode (connection message, metadata, Ack, stream) (protocol.md §10.1). */
export class DecodingError extends P2pError {
  static {
    named(this, 'DecodingError');
  }
  readonly code = 'DECODING_ERROR' as const;
  readonly reason: DecodingReason;
  /** The field that failed, when the decoder knows it. */
  readonly path: string | undefined;
  constructor(reason: DecodingReason, message: string, options?: CodingErrorOptions) {
    super(`decoding error (${reason}): ${options?.path === undefined ? '' : `${options.path}: `}${message}`, options);
    this.reason = reason;
    this.path = options?.path;
  }
  override fields(): Record<string, unknown> {
    return this.path === undefined ? { reason: this.reason } : { reason: this.reason, path: this.path };
  }
}

/** A local value could not be encoded (metadata, message, own connection message). */
export class EncodingError extends P2pError {
  static {
    named(this, 'EncodingError');
  }
  readonly code = 'ENCODING_ERROR' as const;
  /** The field that failed, when the encoder knows it. */
  readonly path: string | undefined;
  constructor(message: string, options?: CodingErrorOptions) {
    super(`encoding error: ${options?.path === undefined ? '' : `${options.path}: `}${message}`, options);
    this.path = options?.path;
  }
  override fields(): Record<string, unknown> {
    return this.path === undefined ? {} : { path: this.path };
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

/** An operation ran past its time limit (OCaml `Timeout`). */
export class TimeoutError extends P2pError {
  static {
    named(this, 'TimeoutError');
  }
  readonly code = 'TIMEOUT' as const;
  constructor(message = 'operation timed out') {
    super(message);
  }
}

/** An operation was cancelled through its AbortSignal (OCaml `Canceled`). */
export class AbortedError extends P2pError {
  static {
    named(this, 'AbortedError');
  }
  readonly code = 'ABORTED' as const;
  constructor(message = 'operation aborted', options?: ErrorOptions) {
    super(message, options);
  }
}

/** identity.json: `peer_id` is not the hash of `public_key` (protocol.md §12.3). */
export class IdentityMismatchError extends P2pError {
  static {
    named(this, 'IdentityMismatchError');
  }
  readonly code = 'IDENTITY_MISMATCH' as const;
  readonly expected: string;
  readonly found: string;
  constructor(expected: string, found: string) {
    super(`identity peer_id ${found} does not match its public key (expected ${expected})`);
    this.expected = expected;
    this.found = found;
  }
  override fields(): Record<string, unknown> {
    return { expected: this.expected, found: this.found };
  }
}

/** identity.json: `secret_key` does not give `public_key` (protocol.md §12.3). */
export class IdentityKeysMismatchError extends P2pError {
  static {
    named(this, 'IdentityKeysMismatchError');
  }
  readonly code = 'IDENTITY_KEYS_MISMATCH' as const;
  constructor(message = 'identity secret key does not match its public key') {
    super(message);
  }
}

/** identity.json: the stamp does not meet the demanded difficulty (protocol.md §12.3). */
export class InsufficientProofOfWorkError extends P2pError {
  static {
    named(this, 'InsufficientProofOfWorkError');
  }
  readonly code = 'INSUFFICIENT_PROOF_OF_WORK' as const;
  readonly expected: number;
  constructor(expected: number) {
    super(`identity proof of work does not meet difficulty ${expected}`);
    this.expected = expected;
  }
  override fields(): Record<string, unknown> {
    return { expected: this.expected };
  }
}

/** identity.json is not valid JSON or misses/garbles a field. */
export class InvalidIdentityError extends P2pError {
  static {
    named(this, 'InvalidIdentityError');
  }
  readonly code = 'INVALID_IDENTITY' as const;
  constructor(message: string, options?: ErrorOptions) {
    super(`invalid identity: ${message}`, options);
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

function isPoolErrorCode(code: string): code is PoolErrorCode {
  return Object.hasOwn(POOL_ERROR_CLASSES, code);
}

/** The `PoolError` subclass for `code`. */
function poolErrorFor(code: PoolErrorCode, message: string, options?: ErrorOptions): AnyPoolError {
  return new POOL_ERROR_CLASSES[code](message, options);
}

/** An encoded message was written twice: its bytes were encrypted in place (protocol.md §6.1, §9.4). */
export class EncodedMessageConsumedError extends P2pError {
  static {
    named(this, 'EncodedMessageConsumedError');
  }
  readonly code = 'ENCODED_MESSAGE_CONSUMED' as const;
  constructor() {
    super('encoded message already written (encrypted in place); use copyEncodedMessage for each connection');
  }
}

/** Every error class the library throws: `switch (err.code)` narrows it to one class and its fields. */
export type AnyP2pError =
  | ConnectionClosedError
  | DecipherError
  | InvalidAuthError
  | RejectedSocketConnectionError
  | NotEnoughProofOfWorkError
  | MyselfError
  | RejectedByNackError
  | InvalidIncomingCiphertextSizeError
  | InvalidMessageSizeError
  | InvalidChunksSizeError
  | DecodingError
  | EncodingError
  | InvalidPublicKeyError
  | TimeoutError
  | AbortedError
  | IdentityMismatchError
  | IdentityKeysMismatchError
  | InsufficientProofOfWorkError
  | InvalidIdentityError
  | EncodedMessageConsumedError
  | RejectedNoCommonProtocolError
  | AnyPoolError;

export type P2pErrorCode = AnyP2pError['code'];

function num(value: unknown, fallback = 0): number {
  return typeof value === 'number' ? value : fallback;
}

function maybeNum(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function maybeString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function withMessage<E extends P2pError>(error: E, message: string): E {
  error.message = message;
  return error;
}

/**
 * Rebuilds an error of the right class from its record (after a thread or process crossing).
 * Unknown codes give a plain Error carrying the code, so nothing is silently lost.
 */
export function errorFromRecord(record: ErrorRecord): Error {
  const m = record.message;
  switch (record.code) {
    case 'CONNECTION_CLOSED': {
      // The system error itself stays on the thread that saw it; its code crosses.
      const systemCode = typeof record['systemCode'] === 'string' ? record['systemCode'] : undefined;
      const cause = systemCode === undefined ? undefined : Object.assign(new Error(`${systemCode} (on the thread that owned the socket)`), { code: systemCode });
      return new ConnectionClosedError(m, { beforeHandshake: record['beforeHandshake'] === true, systemCode, ...(cause ? { cause } : {}) });
    }
    case 'DECIPHER_ERROR': return new DecipherError(m);
    case 'INVALID_AUTH': return new InvalidAuthError(m);
    case 'REJECTED_SOCKET_CONNECTION': return new RejectedSocketConnectionError(m);
    case 'NOT_ENOUGH_PROOF_OF_WORK': return withMessage(new NotEnoughProofOfWorkError(String(record['peerId']), maybeNum(record['required']), maybeNum(record['offered'])), m);
    case 'MYSELF': {
      const port = record['port'];
      return withMessage(new MyselfError(String(record['host']), typeof port === 'number' ? port : undefined), m);
    }
    case 'REJECTED_BY_NACK': {
      const points = record['alternativePoints'];
      return withMessage(new RejectedByNackError(num(record['motive']), Array.isArray(points) ? points.map(String) : undefined), m);
    }
    case 'INVALID_INCOMING_CIPHERTEXT_SIZE': return withMessage(new InvalidIncomingCiphertextSizeError(num(record['size'])), m);
    case 'INVALID_MESSAGE_SIZE': return withMessage(new InvalidMessageSizeError(num(record['size']), num(record['max'])), m);
    case 'INVALID_CHUNKS_SIZE':
      return withMessage(new InvalidChunksSizeError(num(record['value']), num(record['min']), num(record['max'])), m);
    case 'DECODING_ERROR': return withMessage(new DecodingError(record['reason'] as DecodingReason, '', { path: maybeString(record['path']) }), m);
    case 'ENCODING_ERROR': return withMessage(new EncodingError('', { path: maybeString(record['path']) }), m);
    case 'INVALID_PUBLIC_KEY': return new InvalidPublicKeyError(m);
    case 'TIMEOUT': return new TimeoutError(m);
    case 'ABORTED': return new AbortedError(m);
    case 'IDENTITY_MISMATCH': return withMessage(new IdentityMismatchError(String(record['expected']), String(record['found'])), m);
    case 'IDENTITY_KEYS_MISMATCH': return new IdentityKeysMismatchError(m);
    case 'INSUFFICIENT_PROOF_OF_WORK': return withMessage(new InsufficientProofOfWorkError(num(record['expected'])), m);
    case 'INVALID_IDENTITY': return withMessage(new InvalidIdentityError(''), m);
    case 'ENCODED_MESSAGE_CONSUMED': return new EncodedMessageConsumedError();
    case 'REJECTED_NO_COMMON_PROTOCOL':
      return withMessage(new RejectedNoCommonProtocolError(num(record['motive']), record['announced'] as RejectedNoCommonProtocolError['announced']), m);
    default: return isPoolErrorCode(record.code) ? poolErrorFor(record.code, m) : Object.assign(new Error(m), { code: record.code });
  }
}

/** Turns an abort reason into ABORTED or TIMEOUT (AbortSignal.timeout() gives a TimeoutError DOMException). */
export function errorFromAbortReason(reason: unknown): P2pError {
  if (reason instanceof P2pError) return reason;
  if (typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'TimeoutError') {
    return new TimeoutError();
  }
  return new AbortedError('operation aborted', { cause: reason });
}
