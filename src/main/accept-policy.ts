/**
 * The pool's accept policy, on the main thread where the global view is (protocol.md §11.2, architecture.md §2):
 * after a peer authenticated on any shard, decide to accept it, nack it with a motive, or close
 * it without an answer.
 */
import { P2pError, PeerBannedError, PrivateModeError } from '../shared/errors.ts';
import type { ConnectionInfo } from '../shared/session/handshake.ts';
import { selectVersion, type LocalVersions, type NetworkVersion } from '../shared/wire/network-version.ts';
import type { Point } from '../shared/wire/point.ts';
import { MOTIVE } from '../shared/wire/rejection.ts';

/**
 * `nack`'s `reason` is for us, not the wire: a sentence for the pool's `'refused'` event and the
 * error this side reports (the close's is its error's message).
 */
export type PolicyDecision =
  | { readonly action: 'accept'; readonly version: NetworkVersion }
  | { readonly action: 'nack'; readonly motive: number; readonly points?: readonly Point[]; readonly reason?: string }
  | { readonly action: 'close'; readonly error: P2pError };

/** What the default policy looks at besides the peer's info. */
export interface PolicyView {
  readonly versions: LocalVersions;
  readonly activeConnections: number;
  readonly maxConnections: number;
  /** Peer ids connected or being accepted, on every shard. */
  isPeerConnected(peerId: string): boolean;
  isPeerRefused(peerId: string): boolean;
  readonly privateMode: boolean;
  isTrusted(info: ConnectionInfo<unknown>): boolean;
  /** Up to 50 known public points to offer in a Nack (empty when discovery is disabled). */
  alternativePoints(): Point[];
}

/** A user hook, run after the default policy accepted: it may still nack or close. */
export type PolicyHook<Meta> = (
  info: ConnectionInfo<Meta>,
  decision: Extract<PolicyDecision, { action: 'accept' }>,
) => PolicyDecision | undefined | Promise<PolicyDecision | undefined>;

/** OCaml's `raw_authenticate` checks, in its order (protocol.md §11.2). */
export function defaultPolicy(info: ConnectionInfo<unknown>, view: PolicyView): PolicyDecision {
  if (view.isPeerRefused(info.peerId)) {
    return { action: 'close', error: new PeerBannedError(`peer ${info.peerId} is banned or greylisted (pool.unban({ peerId }) lifts it)`) };
  }
  const selection = selectVersion(view.versions, info.announcedVersion);
  if (!selection.ok) return { action: 'nack', motive: selection.motive, points: [], reason: versionMismatch(selection.motive, view.versions, info.announcedVersion) };
  if (view.activeConnections >= view.maxConnections) {
    const reason = `${view.activeConnections} connections established or being accepted, maxConnections is ${view.maxConnections}`;
    return { action: 'nack', motive: MOTIVE.TOO_MANY_CONNECTIONS, points: view.alternativePoints(), reason };
  }
  if (view.privateMode && !view.isTrusted(info)) {
    return { action: 'close', error: new PrivateModeError(`private mode: ${info.peerId} is not in trustedPeers`) };
  }
  if (view.isPeerConnected(info.peerId)) {
    const reason = `this pool already has a connection with peer ${info.peerId}, established or being accepted (allowDuplicatePeers: true accepts several)`;
    return { action: 'nack', motive: MOTIVE.ALREADY_CONNECTED, points: view.alternativePoints(), reason };
  }
  return { action: 'accept', version: selection.version };
}

/** Which version the peer announced that we do not support, and what we do. */
function versionMismatch(motive: number, local: LocalVersions, announced: NetworkVersion): string {
  if (motive === MOTIVE.UNKNOWN_CHAIN_NAME) return `it announced chain ${announced.chainName}, ours is ${local.chainName} (chainName)`;
  if (motive === MOTIVE.DEPRECATED_DISTRIBUTED_DB_VERSION) {
    return `it announced distributed-db version ${announced.distributedDbVersion}, we support ${local.distributedDbVersions.join(', ')} (distributedDbVersions)`;
  }
  return `it announced p2p version ${announced.p2pVersion}, we support ${local.p2pVersions.join(', ')} (p2pVersions)`;
}
