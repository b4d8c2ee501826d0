/**
 * Node identity: X25519 keys, peer id and proof-of-work stamp, and the `identity.json` file
 * (protocol.md §3, §4.1, §12.3).
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import sodium from 'sodium-native';
import { checkProofOfWork, makePowTarget, POW_STAMP_LENGTH, PUBLIC_KEY_LENGTH, searchProofOfWork } from './crypto/pow.ts';
import { peerIdBytesOf, peerIdFromBase58, peerIdToBase58 } from './crypto/peer-id.ts';
import {
  IdentityKeysMismatchError,
  IdentityMismatchError,
  InsufficientProofOfWorkError,
  InvalidIdentityError,
} from './errors.ts';

const SECRET_KEY_LENGTH = 32;
/** A Base58Check peer id is always 30 characters (protocol.md §3). */
const PEER_ID_TEXT_LENGTH = 30;

export interface Identity {
  /** Base58Check `id…` text of `peerIdBytes` (protocol.md §3). */
  readonly peerId: string;
  /** BLAKE2b-128 of the public key. */
  readonly peerIdBytes: Buffer;
  /** X25519 public key, 32 bytes. */
  readonly publicKey: Buffer;
  /** X25519 secret scalar, 32 bytes, stored unclamped (protocol.md §4.1). */
  readonly secretKey: Buffer;
  /** 24-byte proof-of-work stamp (protocol.md §2). */
  readonly proofOfWorkStamp: Buffer;
}

/** The `identity.json` object, fields in the order the node writes them (protocol.md §12.3). */
export interface IdentityJson {
  peer_id: string;
  public_key: string;
  secret_key: string;
  proof_of_work_stamp: string;
}

export interface KeyPair {
  readonly publicKey: Buffer;
  readonly secretKey: Buffer;
}

/**
 * `neuterize`: X25519(sk, 9) (protocol.md §4.1). libsodium clamps a copy of the scalar, as X25519 must
 * (RFC 7748), so the caller's unclamped key is both accepted and left untouched.
 */
export function publicKeyOf(secretKey: Buffer): Buffer {
  if (secretKey.length !== SECRET_KEY_LENGTH) {
    throw new InvalidIdentityError(`secret key must be ${SECRET_KEY_LENGTH} bytes, got ${secretKey.length}`);
  }
  const publicKey = Buffer.alloc(PUBLIC_KEY_LENGTH);
  sodium.crypto_scalarmult_base(publicKey, secretKey);
  return publicKey;
}

/** 32 random bytes and their public key, like HACL `Box.keypair` (protocol.md §4.1). */
export function generateKeyPair(): KeyPair {
  // Buffer.alloc, not a pooled buffer: the secret should not share a slab with unrelated data.
  const secretKey = Buffer.alloc(SECRET_KEY_LENGTH);
  sodium.randombytes_buf(secretKey);
  return { publicKey: publicKeyOf(secretKey), secretKey };
}

/** Builds the identity of a secret key and a stamp. The buffers are copied. */
export function identityFromKeys(secretKey: Buffer, proofOfWorkStamp: Buffer): Identity {
  if (proofOfWorkStamp.length !== POW_STAMP_LENGTH) {
    throw new InvalidIdentityError(`proof-of-work stamp must be ${POW_STAMP_LENGTH} bytes, got ${proofOfWorkStamp.length}`);
  }
  const sk = Buffer.alloc(SECRET_KEY_LENGTH);
  secretKey.copy(sk);
  const publicKey = publicKeyOf(sk);
  const peerIdBytes = peerIdBytesOf(publicKey);
  const stamp = Buffer.alloc(POW_STAMP_LENGTH);
  proofOfWorkStamp.copy(stamp);
  return { peerId: peerIdToBase58(peerIdBytes), peerIdBytes, publicKey, secretKey: sk, proofOfWorkStamp: stamp };
}

/** The `identity.json` object; key order is the node's (protocol.md §12.3), so output diffs cleanly. */
export function identityToJson(identity: Identity): IdentityJson {
  return {
    peer_id: identity.peerId,
    public_key: identity.publicKey.toString('hex'),
    secret_key: identity.secretKey.toString('hex'),
    proof_of_work_stamp: identity.proofOfWorkStamp.toString('hex'),
  };
}

export interface IdentityCheckOptions {
  /** When set, the stamp must meet `makePowTarget(expectedDifficulty)` (protocol.md §12.3). */
  readonly expectedDifficulty?: number;
}

const KNOWN_FIELDS = new Set(['peer_id', 'public_key', 'secret_key', 'proof_of_work_stamp']);
const HEX = /^[0-9a-fA-F]*$/;

function hexField(record: Record<string, unknown>, name: string, bytes: number): Buffer {
  if (!Object.hasOwn(record, name)) throw new InvalidIdentityError(`missing field ${name}`);
  const value = record[name];
  if (typeof value !== 'string') throw new InvalidIdentityError(`field ${name} must be a hex string`);
  if (value.length !== bytes * 2 || !HEX.test(value)) {
    throw new InvalidIdentityError(`field ${name} must be ${bytes * 2} hex characters (${bytes} bytes)`);
  }
  return Buffer.from(value, 'hex');
}

/**
 * Reads an `identity.json` value (already parsed) with the node's checks, in its order
 * (`Identity_file.read`, protocol.md §12.3):
 * 1. shape: an object with hex `public_key` (32 B), `secret_key` (32 B), `proof_of_work_stamp`
 *    (24 B) and an optional Base58 `peer_id`; anything else is INVALID_IDENTITY. Unknown fields
 *    are refused too, since the node's JSON destructor refuses them.
 * 2. `peer_id` (recomputed if absent) must be the hash of `public_key`: IDENTITY_MISMATCH.
 * 3. `secret_key` must give `public_key`: IDENTITY_KEYS_MISMATCH.
 * 4. with `expectedDifficulty`, the stamp must meet it: INSUFFICIENT_PROOF_OF_WORK.
 */
export function identityFromJson(value: unknown, options: IdentityCheckOptions = {}): Identity {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidIdentityError('expected a JSON object');
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!KNOWN_FIELDS.has(key)) throw new InvalidIdentityError(`unexpected field ${JSON.stringify(key)}`);
  }
  const publicKey = hexField(record, 'public_key', PUBLIC_KEY_LENGTH);
  const secretKey = hexField(record, 'secret_key', SECRET_KEY_LENGTH);
  const stamp = hexField(record, 'proof_of_work_stamp', POW_STAMP_LENGTH);

  const computedIdBytes = peerIdBytesOf(publicKey);
  const computedId = peerIdToBase58(computedIdBytes);
  if (Object.hasOwn(record, 'peer_id')) {
    // OCaml's `opt` field: absent means "recompute"; present must decode (null does not).
    const text = record['peer_id'];
    if (typeof text !== 'string' || text.length !== PEER_ID_TEXT_LENGTH) {
      throw new InvalidIdentityError('field peer_id must be a 30-character Base58Check peer id');
    }
    let fileIdBytes: Buffer;
    try {
      fileIdBytes = peerIdFromBase58(text);
    } catch (cause) {
      throw new InvalidIdentityError(`field peer_id is not a valid peer id: ${JSON.stringify(text)}`, { cause });
    }
    if (!fileIdBytes.equals(computedIdBytes)) {
      throw new IdentityMismatchError(computedId, text);
    }
  }

  if (!publicKeyOf(secretKey).equals(publicKey)) throw new IdentityKeysMismatchError();

  const { expectedDifficulty } = options;
  if (expectedDifficulty !== undefined && !checkProofOfWork(publicKey, stamp, makePowTarget(expectedDifficulty))) {
    throw new InsufficientProofOfWorkError(expectedDifficulty);
  }
  return { peerId: computedId, peerIdBytes: computedIdBytes, publicKey, secretKey, proofOfWorkStamp: stamp };
}

/**
 * Reads and checks `identity.json` (protocol.md §12.3). Unparseable JSON gives INVALID_IDENTITY; file
 * system errors (ENOENT: the node then generates a new identity) propagate unchanged.
 */
export async function readIdentityFile(path: string | URL, options: IdentityCheckOptions = {}): Promise<Identity> {
  const text = await readFile(path, 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new InvalidIdentityError(`${String(path)} is not valid JSON`, { cause });
  }
  return identityFromJson(value, options);
}

/**
 * Writes `identity.json`: pretty JSON with a trailing newline, mode 0600 (it holds the secret
 * key). Written to a temporary file in the same directory, synced, then renamed over the target,
 * so a crash never leaves a truncated identity and an existing file's looser mode is not kept.
 */
export async function writeIdentityFile(path: string | URL, identity: Identity): Promise<void> {
  await writeSecretFile(path, `${JSON.stringify(identityToJson(identity), null, 2)}\n`);
}

/** Writes `text` with mode 0600, through a synced temporary file renamed over `path`. */
export async function writeSecretFile(path: string | URL, text: string): Promise<void> {
  const target = typeof path === 'string' ? path : fileURLToPath(path);
  const temporary = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', 0o600).catch((error: unknown) => Promise.reject(namingTarget(error, target)));
  try {
    try {
      await handle.writeFile(text, { encoding: 'utf8' });
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw namingTarget(error, target);
  }
}

/**
 * A failed write reported against the file the caller named, not the temporary file beside it
 * (Node's message would say "open '…/identity.json.123.9f2c.tmp'"); the code is kept.
 */
function namingTarget(error: unknown, target: string): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (!(error instanceof Error) || code === undefined) return error as Error;
  const reason = /^[A-Z0-9_]+: ([^,]+)/.exec(error.message)?.[1] ?? error.message;
  return Object.assign(new Error(`${code}: cannot write ${target}: ${reason}`, { cause: error }), { code });
}

/** A bounded identity-search round, as a plain record that crosses threads (hex strings). */
export interface IdentityRoundRequest {
  /** 32-byte big-endian target (makePowTarget) as hex. */
  readonly targetHex: string;
  /** Hashes to try in this round. */
  readonly maxAttempts: number;
}

export interface IdentityRoundResult {
  readonly found: { readonly secretKey: string; readonly stamp: string } | null;
  readonly attempts: number;
}

/**
 * One round of identity generation (protocol.md §2.4, `generate_with_animation`): a fresh keypair and a
 * fresh random start stamp, then up to `maxAttempts` hashes. Fresh keys per round mean no two
 * threads ever search the same (key, stamp) space, with no coordination.
 */
export function identitySearchRound(request: IdentityRoundRequest): IdentityRoundResult {
  const target = Buffer.from(request.targetHex, 'hex');
  const { publicKey, secretKey } = generateKeyPair();
  const { stamp, attempts } = searchProofOfWork(publicKey, target, { maxAttempts: request.maxAttempts });
  return {
    found: stamp === undefined ? null : { secretKey: secretKey.toString('hex'), stamp: stamp.toString('hex') },
    attempts,
  };
}
