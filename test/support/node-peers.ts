/**
 * A pool on loopback serving the node-like responder on every connection (what `listen --node`
 * runs), and clients that dial it with the peer-message codec or with raw bytes.
 */
import { connect } from '../../src/main/connect.ts';
import type { Connection } from '../../src/main/connection.ts';
import { bytesCodec, type MessageCodec } from '../../src/main/codecs.ts';
import { Pool } from '../../src/main/pool.ts';
import { generateKeyPair, identityFromKeys } from '../../src/shared/identity.ts';
import { nodeMetadataConfig, type NodeMetadata } from '../../src/shared/wire/metadata.ts';
import { announcedVersion, nodeLocalVersions, SANDBOXED_MAVRYK } from '../../src/shared/wire/network-version.ts';
import { peerMessageCodec } from '../../src/messages/peer-message-codec.ts';
import type { PeerMessage, PeerMessageKind, PeerMessageOf } from '../../src/messages/peer-message.ts';
import type { ChainState } from '../../src/node/chain-state.ts';
import { serveNodePeer, type NodePeerEnd, type NodeResponderOptions } from '../../src/node/node-responder.ts';
import type { PointsSource } from '../../src/node/points-source.ts';

/** A fresh identity without proof of work: the pools here demand none. */
export const freshIdentity = () => identityFromKeys(generateKeyPair().secretKey, Buffer.alloc(24));

export interface NodePool {
  readonly pool: Pool<PeerMessage, NodeMetadata>;
  readonly port: number;
  /** How each served connection ended, in accept order: an end or the error it rejected with. */
  readonly outcomes: Array<Promise<NodePeerEnd | Error>>;
  close(): Promise<void>;
}

export async function startNodePool(
  workers: number,
  chain: ChainState,
  points: PointsSource,
  options: NodeResponderOptions & { readonly greylist?: boolean } = {},
): Promise<NodePool> {
  const pool = new Pool<PeerMessage, NodeMetadata>({
    identity: freshIdentity(),
    chainName: SANDBOXED_MAVRYK,
    metadata: nodeMetadataConfig({ disableMempool: false, privateNode: false }),
    codec: peerMessageCodec,
    proofOfWorkDifficulty: 0,
    workers,
  });
  const outcomes: Array<Promise<NodePeerEnd | Error>> = [];
  const onUndecodable = options.greylist
    ? (conn: Connection<PeerMessage, unknown>) => pool.greylistPeer({ address: conn.info.idPoint.host, peerId: conn.info.peerId })
    : undefined;
  pool.on('connection', (conn) => {
    outcomes.push(serveNodePeer(conn, chain, points, { ...options, ...(onUndecodable ? { onUndecodable } : {}) }).catch((error: unknown) => error as Error));
  });
  const { port } = await pool.listen({ host: '127.0.0.1', port: 0 });
  return { pool, port, outcomes, close: () => pool.close() };
}

/** Dials the node pool as a peer with `codec` (the peer-message codec by default). */
export async function dialNode<Msg = PeerMessage>(
  port: number,
  options: { codec?: MessageCodec<Msg>; privateNode?: boolean; disableMempool?: boolean } = {},
): Promise<Connection<Msg, NodeMetadata>> {
  const peer = await connect('127.0.0.1', port, {
    identity: freshIdentity(),
    announcedVersion: announcedVersion(nodeLocalVersions(SANDBOXED_MAVRYK)),
    metadata: nodeMetadataConfig({ disableMempool: options.disableMempool ?? false, privateNode: options.privateNode ?? false }),
    proofOfWorkDifficulty: 0,
    timeout: 10_000,
  });
  return peer.accept({ codec: options.codec ?? (peerMessageCodec as unknown as MessageCodec<Msg>), timeout: 10_000 });
}

/** Dials as a hostile peer: whatever bytes it writes are sent as one message body (`tag ‖ body`). */
export function dialRaw(port: number): Promise<Connection<Uint8Array, NodeMetadata>> {
  return dialNode(port, { codec: bytesCodec });
}

/** The next message, within `timeoutMs`. */
export async function next(conn: Connection<PeerMessage, unknown>, timeoutMs = 10_000): Promise<PeerMessage> {
  return (await conn.read({ signal: AbortSignal.timeout(timeoutMs) })).message;
}

/** The next message, which must be of `kind`. */
export async function expectKind<K extends PeerMessageKind>(conn: Connection<PeerMessage, unknown>, kind: K, timeoutMs = 10_000): Promise<PeerMessageOf<K>> {
  const message = await next(conn, timeoutMs);
  if (message.kind !== kind) throw new Error(`expected ${kind}, got ${message.kind}`);
  return message as PeerMessageOf<K>;
}
