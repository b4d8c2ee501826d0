/**
 * The CLI's accept policy on versions (protocol.md §11.2): both ends announce the greatest of their
 * lists and run `Network_version.select` on the peer's announcement; a failure is answered with
 * a Nack carrying the motive, as the node's connect handler does.
 */
import { RejectedNoCommonProtocolError } from '../shared/errors.ts';
import {
  announcedVersion,
  selectVersion,
  type LocalVersions,
  type NetworkVersion,
} from '../shared/wire/network-version.ts';

/** Lists [0..ddb] and [0..p2p]: a peer announcing any older version is still served (protocol.md §11.2). */
export function localVersions(chainName: string, ddb: number, p2p: number): LocalVersions {
  return { chainName, distributedDbVersions: upTo(ddb), p2pVersions: upTo(p2p) };
}

/** What we announce: the chain name and the greatest versions, i.e. `ddb` and `p2p`. */
export function ourAnnouncement(local: LocalVersions): NetworkVersion {
  return announcedVersion(local);
}

export type Negotiation =
  | { readonly ok: true; readonly version: NetworkVersion }
  | { readonly ok: false; readonly motive: number; readonly error: RejectedNoCommonProtocolError };

/** `selectVersion` with the error to report when the peer must be nacked. */
export function negotiate(local: LocalVersions, remote: NetworkVersion): Negotiation {
  const selection = selectVersion(local, remote);
  if (selection.ok) return { ok: true, version: selection.version };
  return { ok: false, motive: selection.motive, error: new RejectedNoCommonProtocolError(selection.motive, remote) };
}

function upTo(max: number): number[] {
  return Array.from({ length: max + 1 }, (_, i) => i);
}
