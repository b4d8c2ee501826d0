/**
 * `Network_version`: what each side announces in its connection message (protocol.md §1.1, §1.4), and
 * the version selection the caller runs before accepting a peer (protocol.md §11.2).
 *
 * Chain names are compared **byte for byte** (protocol.md §13.5 item 10) and carry no UTF-8 check
 * (protocol.md §A `string`). We keep them as JavaScript strings decoded with `latin1`: each byte maps to
 * the code point of the same value, so any byte sequence round-trips exactly and `===` is byte
 * equality. The encoder refuses code points above U+00FF instead of mangling them. A name that is
 * UTF-8 text beyond ASCII must be given in that latin1 form (`chainNameFromBytes`).
 */
import { EncodingError } from '../errors.ts';
import { BinaryReader } from './binary-reader.ts';
import { MOTIVE } from './rejection.ts';

export interface NetworkVersion {
  /** Latin1 image of the chain name bytes (see the module note). */
  chainName: string;
  /** uint16 */
  distributedDbVersion: number;
  /** uint16 */
  p2pVersion: number;
}

/** What we support locally: one chain and every ddb/p2p version we can speak (protocol.md §11.2). */
export interface LocalVersions {
  chainName: string;
  distributedDbVersions: readonly number[];
  p2pVersions: readonly number[];
}

export type VersionSelection =
  | { ok: true; version: NetworkVersion }
  | { ok: false; motive: typeof MOTIVE.UNKNOWN_CHAIN_NAME | typeof MOTIVE.DEPRECATED_DISTRIBUTED_DB_VERSION | typeof MOTIVE.DEPRECATED_P2P_VERSION };

// Chain names and versions of the Mavryk node (protocol.md §1.4).
export const MAVRYK_MAINNET = 'MAVRYK_MAINNET';
export const SANDBOXED_MAVRYK_MAINNET = 'SANDBOXED_MAVRYK_MAINNET';
export const MAVRYK_BASENET = 'MAVRYK_BASENET_2025-08-14T11:46:32Z';
/** The local "sandbox" network alias. */
export const MAVRYK = 'MAVRYK';
/** Sandboxed chain name of both Basenet and the local sandbox alias, and of the test utilities. */
export const SANDBOXED_MAVRYK = 'SANDBOXED_MAVRYK';

/** `distributed_db_versions` of the node: it announces 2 (protocol.md §1.4). */
export const NODE_DISTRIBUTED_DB_VERSIONS: readonly number[] = Object.freeze([0, 1, 2]);
/** `P2p_version.supported`: the node announces 1 (protocol.md §1.4). */
export const NODE_P2P_VERSIONS: readonly number[] = Object.freeze([0, 1]);

/** The version of the OCaml test utilities (`p2p_test_utils.ml`): SANDBOXED_MAVRYK/1/0 (protocol.md §1.4, §13). */
export const TEST_UTILS_NETWORK_VERSION: Readonly<NetworkVersion> = Object.freeze({
  chainName: SANDBOXED_MAVRYK,
  distributedDbVersion: 1,
  p2pVersion: 0,
});

/** The node's local versions for a chain name, as fed to `selectVersion`. */
export function nodeLocalVersions(chainName: string): LocalVersions {
  return { chainName, distributedDbVersions: NODE_DISTRIBUTED_DB_VERSIONS, p2pVersions: NODE_P2P_VERSIONS };
}

/** Latin1 form of raw chain-name bytes (inverse of `chainNameToBytes`). */
export function chainNameFromBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** The last chain name's bytes, kept: a process speaks for one chain, on every handshake (read only). */
let lastChainName: { readonly text: string; readonly bytes: Buffer } | undefined;

/** The wire bytes of a chain name (read only); EncodingError if a code point does not fit in a byte. */
function chainNameToBytes(chainName: string): Buffer {
  if (lastChainName?.text === chainName) return lastChainName.bytes;
  // latin1 encoding silently keeps only the low byte of wider code points; refuse instead.
  for (let i = 0; i < chainName.length; i++) {
    if (chainName.charCodeAt(i) > 0xff) {
      throw new EncodingError(
        `chain name has a code point above U+00FF at index ${i}; give its bytes in latin1 form (chainNameFromBytes)`,
      );
    }
  }
  const bytes = Buffer.from(chainName, 'latin1');
  lastChainName = { text: chainName, bytes };
  return bytes;
}

function checkUint16(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new EncodingError(`${what} ${value} is not a uint16`);
  }
}

/** Encoded size of a version: `4 + N + 2 + 2` (protocol.md §1.1). Validates the chain name. */
export function networkVersionSize(version: NetworkVersion): number {
  return 8 + chainNameToBytes(version.chainName).length;
}

/**
 * Writes `u32 N ‖ chain_name ‖ u16 ddb ‖ u16 p2p` at `offset` and returns the offset after it.
 * The caller sizes `target` with `networkVersionSize`. EncodingError on an invalid field.
 */
export function writeNetworkVersion(target: Buffer, offset: number, version: NetworkVersion): number {
  checkUint16(version.distributedDbVersion, 'distributed_db_version');
  checkUint16(version.p2pVersion, 'p2p_version');
  const name = chainNameToBytes(version.chainName);
  let at = target.writeUInt32BE(name.length, offset);
  at += name.copy(target, at);
  at = target.writeUInt16BE(version.distributedDbVersion, at);
  return target.writeUInt16BE(version.p2pVersion, at);
}

/** `{main, 1, 0}` gives `000000046d61696e00010000` (protocol.md §1.2). */
export function encodeNetworkVersion(version: NetworkVersion): Buffer {
  const out = Buffer.allocUnsafe(networkVersionSize(version));
  writeNetworkVersion(out, 0, version);
  return out;
}

/** Reads a version at the reader's cursor (the chain name is copied out by the latin1 decode). */
export function readNetworkVersion(reader: BinaryReader): NetworkVersion {
  const chainName = reader.lengthPrefixed('chain_name').toString('latin1');
  const distributedDbVersion = reader.u16('distributed_db_version');
  const p2pVersion = reader.u16('p2p_version');
  return { chainName, distributedDbVersion, p2pVersion };
}

/** Exact-length decode of a whole buffer; throws DecodingError. */
export function decodeNetworkVersion(bytes: Buffer): NetworkVersion {
  const reader = new BinaryReader(bytes);
  const version = readNetworkVersion(reader);
  reader.expectEnd('network_version');
  return version;
}

function greatest(versions: readonly number[], what: string): number {
  // OCaml `Network_version.greatest` raises Invalid_argument on an empty list.
  if (versions.length === 0) throw new RangeError(`${what}: the list of supported versions is empty`);
  let best = versions[0]!;
  for (const v of versions) if (v > best) best = v;
  return best;
}

/** What we announce: our chain name and the greatest of each list (`Network_version.announced`). */
export function announcedVersion(local: LocalVersions): NetworkVersion {
  return {
    chainName: local.chainName,
    distributedDbVersion: greatest(local.distributedDbVersions, 'distributedDbVersions'),
    p2pVersion: greatest(local.p2pVersions, 'p2pVersions'),
  };
}

/**
 * protocol.md §11.2 `may_select_version`: our best version if the peer's is at least as high (a peer
 * announcing a newer version is never blocked), else the peer's if we support it, else none.
 */
function mayPick(accepted: readonly number[], remote: number, what: string): number | undefined {
  const best = greatest(accepted, what);
  if (best <= remote) return best;
  if (accepted.includes(remote)) return remote;
  return undefined;
}

/**
 * `Network_version.select` as the caller runs it (protocol.md §11.2): chain name first
 * (`Unknown_chain_name`), then both components; if both fail, the ddb motive is the one reported.
 */
export function selectVersion(local: LocalVersions, remote: NetworkVersion): VersionSelection {
  // OCaml asserts both lists are non-empty before looking at the chain name.
  greatest(local.distributedDbVersions, 'distributedDbVersions');
  greatest(local.p2pVersions, 'p2pVersions');
  if (remote.chainName !== local.chainName) return { ok: false, motive: MOTIVE.UNKNOWN_CHAIN_NAME };
  const distributedDbVersion = mayPick(local.distributedDbVersions, remote.distributedDbVersion, 'distributedDbVersions');
  const p2pVersion = mayPick(local.p2pVersions, remote.p2pVersion, 'p2pVersions');
  if (distributedDbVersion === undefined) return { ok: false, motive: MOTIVE.DEPRECATED_DISTRIBUTED_DB_VERSION };
  if (p2pVersion === undefined) return { ok: false, motive: MOTIVE.DEPRECATED_P2P_VERSION };
  return { ok: true, version: { chainName: local.chainName, distributedDbVersion, p2pVersion } };
}
