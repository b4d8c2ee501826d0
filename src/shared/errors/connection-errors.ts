/**
 * Errors of an established connection's byte stream: the connection closed, a chunk that does not
 * authenticate or has an impossible size, a chunk size option out of range, an encoded message
 * written twice (protocol.md §6, §10.1).
 */
import { named, P2pError } from './p2p-error.ts';

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

/**
 * The body of a lent message was read after it was given back (`release()`, or the connection's
 * next `readLent`): its memory may already hold another message (api.md, "Lent messages").
 */
export class LentMessageReleasedError extends P2pError {
  static {
    named(this, 'LentMessageReleasedError');
  }
  readonly code = 'LENT_MESSAGE_RELEASED' as const;
  constructor() {
    super('lent message body read after release; copy what you keep before releasing it');
  }
}
