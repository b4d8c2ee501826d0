/**
 * One frozen NetworkVersion object per distinct version, for the info records of accepted
 * connections: the peers of a network announce a handful of versions, and a record of its own
 * per connection, with its chain name's text, costs ~120 B on every idle connection
 * (architecture.md §4c). The last few distinct versions are remembered, so a peer that announces
 * ever new ones costs a lookup in a short list and nothing kept.
 */
import type { NetworkVersion } from '../shared/wire/network-version.ts';

/** Distinct versions remembered (most recent first). */
const REMEMBERED = 8;
const recent: NetworkVersion[] = [];

/** A frozen version equal to `version`, shared by every connection that uses it. */
export function sharedVersion(version: NetworkVersion): NetworkVersion {
  for (const known of recent) {
    if (known.chainName === version.chainName && known.distributedDbVersion === version.distributedDbVersion && known.p2pVersion === version.p2pVersion) return known;
  }
  const kept = Object.freeze({ chainName: version.chainName, distributedDbVersion: version.distributedDbVersion, p2pVersion: version.p2pVersion });
  if (recent.length >= REMEMBERED) recent.pop();
  recent.unshift(kept);
  return kept;
}
