/**
 * What `listen` and `connect` share before any socket: the identity (from a file, or generated
 * at `--difficulty`), the versions, the node metadata and the handshake options built from them.
 */
import type { Identity } from '../shared/identity.ts';
import { nodeMetadataConfig, type MetadataConfig, type NodeMetadata } from '../shared/wire/metadata.ts';
import type { LocalVersions, NetworkVersion } from '../shared/wire/network-version.ts';
import { generateIdentity } from '../main/generate-identity.ts';
import type { PeerOptions } from './peer-options.ts';
import type { Output } from './output.ts';
import { localVersions, negotiate, ourAnnouncement } from './version-policy.ts';
import type { AuthenticatedConnection } from '../main/authenticated-connection.ts';
import { bytesCodec, type MessageCodec } from '../main/codecs.ts';
import type { Connection } from '../main/connection.ts';
import type { ConnectionReport } from './connection-report.ts';
import { readIdentityOption } from './identities-file.ts';

export interface PeerSetup {
  readonly identity: Identity;
  readonly local: LocalVersions;
  readonly announced: NetworkVersion;
  readonly metadata: MetadataConfig<NodeMetadata>;
}

/** `usage`: the command's usage text, for the usage error of an `--identity` that cannot be read. */
export async function preparePeer(options: PeerOptions, output: Output, usage: string): Promise<PeerSetup> {
  const local = localVersions(options.chain, options.ddb, options.p2p);
  return {
    identity: await loadIdentity(options, output, usage),
    local,
    announced: ourAnnouncement(local),
    metadata: nodeMetadataConfig({ disableMempool: options.disableMempool, privateNode: options.privateNode }),
  };
}

/**
 * `--identity FILE`, read with the node's checks but no proof-of-work check (the node does not
 * check its own stamp at start-up, protocol.md §12.3); else a fresh identity at `--difficulty`.
 */
async function loadIdentity(options: PeerOptions, output: Output, usage: string): Promise<Identity> {
  if (options.identityFile !== undefined) return readIdentityOption(options.identityFile, '--identity', usage);
  if (options.difficulty > 0) output.progress(`generating an identity at difficulty ${options.difficulty}…`);
  const { identity } = await generateIdentity({ difficulty: options.difficulty });
  output.clearProgress();
  return identity;
}

/** Milliseconds left of a deadline that started at `started` (Date.now()), at least 1. */
export function remaining(timeout: number, started: number): number {
  return Math.max(1, timeout - (Date.now() - started));
}

/**
 * The version policy, then accept: a version or chain mismatch is answered with a Nack and the
 * peer dropped, as the node does (protocol.md §11.2 step 6). Both commands run it.
 */
export async function negotiateAndAccept<Msg = Uint8Array>(
  peer: AuthenticatedConnection<NodeMetadata>,
  local: LocalVersions,
  report: ConnectionReport,
  accept: { chunkSize: number | undefined; timeout: number; codec?: MessageCodec<Msg> },
): Promise<Connection<Msg, NodeMetadata>> {
  const negotiation = negotiate(local, peer.info.announcedVersion);
  if (!negotiation.ok) {
    await peer.nack(negotiation.motive, []);
    throw negotiation.error;
  }
  report.negotiated = negotiation.version;
  const codec = accept.codec ?? (bytesCodec as unknown as MessageCodec<Msg>);
  return peer.accept({ codec, binaryChunksSize: accept.chunkSize, timeout: accept.timeout });
}
