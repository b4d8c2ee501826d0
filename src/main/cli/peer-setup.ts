/**
 * What `listen` and `connect` share before any socket: the identity (from a file, or generated
 * at `--difficulty`), the versions, the node metadata and the handshake options built from them.
 */
import type { Identity } from '../../shared/identity.ts';
import { readIdentityFile } from '../../shared/identity.ts';
import { nodeMetadataConfig, type MetadataConfig, type NodeMetadata } from '../../shared/wire/metadata.ts';
import type { LocalVersions, NetworkVersion } from '../../shared/wire/network-version.ts';
import { generateIdentity } from '../generate-identity.ts';
import type { PeerOptions } from './args.ts';
import type { Output } from './output.ts';
import { localVersions, ourAnnouncement } from './version-policy.ts';

export interface PeerSetup {
  readonly identity: Identity;
  readonly local: LocalVersions;
  readonly announced: NetworkVersion;
  readonly metadata: MetadataConfig<NodeMetadata>;
}

export async function preparePeer(options: PeerOptions, output: Output): Promise<PeerSetup> {
  const local = localVersions(options.chain, options.ddb, options.p2p);
  return {
    identity: await loadIdentity(options, output),
    local,
    announced: ourAnnouncement(local),
    metadata: nodeMetadataConfig({ disableMempool: options.disableMempool, privateNode: options.privateNode }),
  };
}

/**
 * `--identity FILE`, read with the node's checks but no proof-of-work check (the node does not
 * check its own stamp at start-up, SPEC §12.3); else a fresh identity at `--difficulty`.
 */
async function loadIdentity(options: PeerOptions, output: Output): Promise<Identity> {
  if (options.identityFile !== undefined) return readIdentityFile(options.identityFile);
  if (options.difficulty > 0) output.progress(`generating an identity at difficulty ${options.difficulty}…`);
  const { identity } = await generateIdentity({ difficulty: options.difficulty });
  output.clearProgress();
  return identity;
}

/** Milliseconds left of a deadline that started at `started` (Date.now()), at least 1. */
export function remaining(timeout: number, started: number): number {
  return Math.max(1, timeout - (Date.now() - started));
}
