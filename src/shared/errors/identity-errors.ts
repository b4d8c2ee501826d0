/** Errors of an identity file (identity.json) that is malformed or does not hold together (protocol.md §12.3). */
import { named, P2pError } from './p2p-error.ts';

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
