/**
 * The node-like responder: answers one connection as a small Octez/Mavryk node does
 * (docs/node.md), given the chain it runs and the points it knows.
 *
 * Messages are handled one at a time, in arrival order, as the node's connection worker and
 * shell reader do. Answers wait for room in the outgoing queue (so a peer that does not read
 * slows only itself); head announcements are dropped when the queue is full, as the node's
 * `try_send` drops them.
 */
import type { Connection } from '../main/connection.ts';
import { P2pError } from '../shared/errors.ts';
import { HashList } from '../messages/hash-list.ts';
import type { PeerMessage } from '../messages/peer-message.ts';
import type { ChainState, StoredBlock } from './chain-state.ts';
import { advertisedPoints, type PointsSource } from './points-source.ts';

export interface NodeResponderOptions {
  /** Run as a private node: `Bootstrap` is never answered (default false). */
  readonly privateMode?: boolean;
  /**
   * Called once when the peer sends what does not decode, before the responder rejects with that
   * DECODING_ERROR; the connection is already closing without a byte written. A node greylists
   * the peer here: `(conn) => pool.greylistPeer({ address: conn.info.idPoint.host, peerId: conn.info.peerId })`.
   */
  readonly onUndecodable?: (conn: Connection<PeerMessage, unknown>, error: P2pError) => void;
  /** Closes the connection and ends the responder (resolves with `'aborted'`). */
  readonly signal?: AbortSignal;
}

/**
 * How a served connection ended, the peer's doing or ours: it closed (`closed`), sent `Disconnect`
 * (`disconnect`), sent `Deactivate` after announcing a branch or head (`deactivate`: the node drops
 * a peer it tracks as a source of heads), or `signal` aborted (`aborted`).
 */
export type NodePeerEnd = 'closed' | 'disconnect' | 'deactivate' | 'aborted';

/** Chain-level state of one peer, as the node's shell reader keeps it. */
interface PeerChainState {
  /** The peer asked for our branch (or a protocol branch): our chain is active for it. */
  active: boolean;
  /** The peer announced a branch or head while active: the node runs a peer validator for it. */
  tracked: boolean;
}

/**
 * Serves `conn` as a small node on `chain`, advertising `points`, until the connection ends.
 * Resolves with how it ended; rejects with the P2pError that ended it otherwise (DECODING_ERROR
 * for a message that does not decode, DECIPHER_ERROR …). The connection is closed either way.
 */
export async function serveNodePeer<Meta>(conn: Connection<PeerMessage, Meta>, chain: ChainState, points: PointsSource, options: NodeResponderOptions = {}): Promise<NodePeerEnd> {
  const { signal } = options;
  const peer: PeerChainState = { active: false, tracked: false };
  const disableMempool = announcesDisableMempool(conn.info.remoteMetadata);
  const onAbort = (): void => void conn.close().catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  // A new head goes to every peer for which the chain is active (the node's Current_head advertisement).
  const stopHeads = chain.onHead((head) => {
    if (!peer.active || conn.closed) return;
    try {
      conn.writeNow(currentHead(chain, head, disableMempool));
    } catch {
      // Closed meanwhile, or a head the chain built wrong: this peer misses it, the chain goes on.
    }
  });
  try {
    if (signal?.aborted) return 'aborted';
    // The first thing a node sends: the branch of every chain it runs.
    await conn.write({ kind: 'Get_current_branch', chainId: chain.chainId });
    for (;;) {
      const { message } = await conn.read();
      const end = await answer(conn, message, chain, points, peer, disableMempool, options.privateMode ?? false);
      if (end !== undefined) {
        await conn.close();
        return end;
      }
    }
  } catch (error) {
    if (signal?.aborted) return 'aborted';
    if (error instanceof P2pError && error.code === 'CONNECTION_CLOSED') return 'closed';
    if (error instanceof P2pError && error.code === 'DECODING_ERROR') options.onUndecodable?.(conn as Connection<PeerMessage, unknown>, error);
    throw error;
  } finally {
    stopHeads();
    signal?.removeEventListener('abort', onAbort);
    await conn.close().catch(() => undefined);
  }
}

/** Handles one message; returns how the connection ends when it does. */
async function answer<Meta>(
  conn: Connection<PeerMessage, Meta>,
  message: PeerMessage,
  chain: ChainState,
  points: PointsSource,
  peer: PeerChainState,
  disableMempool: boolean,
  privateMode: boolean,
): Promise<NodePeerEnd | undefined> {
  const ours = (chainId: Uint8Array): boolean => sameBytes(chainId, chain.chainId);
  switch (message.kind) {
    case 'Disconnect':
      return 'disconnect';
    case 'Bootstrap': {
      if (privateMode || conn.privateNode) return undefined;
      const advertised = await advertisedPoints(points);
      if (advertised.length > 0) await conn.write({ kind: 'Advertise', points: advertised });
      return undefined;
    }
    case 'Get_current_branch':
      if (!ours(message.chainId)) return undefined;
      peer.active = true;
      await conn.write({ kind: 'Current_branch', chainId: chain.chainId, locator: chain.locator() });
      return undefined;
    case 'Get_protocol_branch': {
      if (!ours(message.chainId)) return undefined;
      peer.active = true;
      const locator = chain.locator();
      // The chain runs one protocol level: its locator is the head's.
      if (locator.currentHead.proto === message.protoLevel) {
        await conn.write({ kind: 'Protocol_branch', chainId: chain.chainId, protoLevel: message.protoLevel, locator });
      }
      return undefined;
    }
    case 'Get_current_head':
      if (ours(message.chainId) && peer.active) await conn.write(currentHead(chain, chain.head(), disableMempool));
      return undefined;
    case 'Current_branch':
    case 'Current_head':
      if (ours(message.chainId) && peer.active) peer.tracked = true;
      return undefined;
    case 'Deactivate':
      if (!ours(message.chainId) || !peer.active) return undefined;
      peer.active = false;
      return peer.tracked ? 'deactivate' : undefined;
    case 'Get_block_headers':
      for (const hash of message.blockHashes) {
        const block = chain.block(hash);
        if (block) await conn.write({ kind: 'Block_header', header: block.header });
      }
      return undefined;
    case 'Get_checkpoint': {
      const checkpoint = ours(message.chainId) ? chain.checkpoint() : undefined;
      if (checkpoint) await conn.write({ kind: 'Checkpoint', chainId: chain.chainId, header: checkpoint.header });
      return undefined;
    }
    case 'Get_predecessor_header': {
      const block = chain.predecessor(message.blockHash, message.offset);
      if (block) await conn.write({ kind: 'Predecessor_header', blockHash: message.blockHash, offset: message.offset, header: block.header });
      return undefined;
    }
    // The chain holds no operations and no protocol sources: every one is unknown, skipped.
    case 'Get_operations':
    case 'Get_protocols':
    case 'Get_operations_for_blocks':
    // Registered by a node, answered with nothing.
    case 'Advertise':
    // A node with swapping off ignores both.
    case 'Swap_request':
    case 'Swap_ack':
    // Answers we never asked for, or that a node leaves unused.
    case 'Block_header':
    case 'Operation':
    case 'Protocol':
    case 'Operations_for_blocks':
    case 'Checkpoint':
    case 'Protocol_branch':
    case 'Predecessor_header':
      return undefined;
  }
}

function currentHead(chain: ChainState, head: StoredBlock, disableMempool: boolean): PeerMessage {
  const mempool = disableMempool ? EMPTY_MEMPOOL : chain.mempool();
  return { kind: 'Current_head', chainId: chain.chainId, header: head.header, mempool };
}

const EMPTY_MEMPOOL = Object.freeze({ knownValid: new HashList(), pending: new HashList() });

/** The node's metadata `disable_mempool` (NodeMetadata); false for any other metadata. */
function announcesDisableMempool(meta: unknown): boolean {
  return typeof meta === 'object' && meta !== null && (meta as { disableMempool?: unknown }).disableMempool === true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}
