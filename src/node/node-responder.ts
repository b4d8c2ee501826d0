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
import type { PeerMessage, PeerMessageOf } from '../messages/peer-message.ts';
import type { ChainState, StoredBlock } from './chain-state.ts';
import type { Point } from '../shared/wire/point.ts';
import { ADVERTISED_POINTS, advertisedPoints, canonicalPoints, sampledPoints, type PointsSource } from './points-source.ts';

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
  const answers = new ChainAnswers(chain, announcesDisableMempool(conn.info.remoteMetadata));
  const onAbort = (): void => void conn.close().catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  // A new head goes to every peer for which the chain is active (the node's Current_head advertisement).
  const stopHeads = chain.onHead((head) => {
    if (!peer.active || conn.closed) return;
    try {
      conn.writeNow(answers.currentHead(head));
    } catch {
      // Closed meanwhile, or a head the chain built wrong: this peer misses it, the chain goes on.
    }
  });
  try {
    if (signal?.aborted) return 'aborted';
    // The first thing a node sends: the branch of every chain it runs.
    await conn.write({ kind: 'Get_current_branch', chainId: chain.chainId });
    const privateMode = options.privateMode ?? false;
    for (;;) {
      // One wait, then whatever else is queued; an answer waits only when the queue is full.
      let received = await conn.read();
      for (;;) {
        const handled = answer(conn, received.message, chain, points, peer, answers, privateMode);
        const end = handled instanceof Promise ? await handled : handled;
        if (end !== undefined) {
          await conn.close();
          return end;
        }
        const next = conn.readNow();
        if (next === undefined) break;
        received = next;
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

/** Handles one message; returns how the connection ends when it does, at once unless it waits to write. */
function answer<Meta>(
  conn: Connection<PeerMessage, Meta>,
  message: PeerMessage,
  chain: ChainState,
  points: PointsSource,
  peer: PeerChainState,
  answers: ChainAnswers,
  privateMode: boolean,
): NodePeerEnd | undefined | Promise<NodePeerEnd | undefined> {
  const ours = (chainId: Uint8Array): boolean => sameBytes(chainId, chain.chainId);
  switch (message.kind) {
    case 'Disconnect':
      return 'disconnect';
    case 'Bootstrap': {
      if (privateMode || conn.privateNode) return undefined;
      if (typeof points === 'function') return advertise(conn, points);
      const advertised = answers.listAdvertise(points);
      return advertised === null ? undefined : send(conn, advertised);
    }
    case 'Get_current_branch':
      if (!ours(message.chainId)) return undefined;
      peer.active = true;
      return send(conn, answers.currentBranch());
    case 'Get_protocol_branch': {
      if (!ours(message.chainId)) return undefined;
      peer.active = true;
      const locator = chain.locator();
      // The chain runs one protocol level: its locator is the head's.
      if (locator.currentHead.proto !== message.protoLevel) return undefined;
      return send(conn, { kind: 'Protocol_branch', chainId: chain.chainId, protoLevel: message.protoLevel, locator });
    }
    case 'Get_current_head':
      if (!ours(message.chainId) || !peer.active) return undefined;
      return send(conn, answers.currentHead(chain.head()));
    case 'Current_branch':
    case 'Current_head':
      if (ours(message.chainId) && peer.active) peer.tracked = true;
      return undefined;
    case 'Deactivate':
      if (!ours(message.chainId) || !peer.active) return undefined;
      peer.active = false;
      return peer.tracked ? 'deactivate' : undefined;
    case 'Get_block_headers':
      return sendHeaders(conn, chain, message.blockHashes);
    case 'Get_checkpoint': {
      const checkpoint = ours(message.chainId) ? chain.checkpoint() : undefined;
      return checkpoint && send(conn, { kind: 'Checkpoint', chainId: chain.chainId, header: checkpoint.header });
    }
    case 'Get_predecessor_header': {
      const block = chain.predecessor(message.blockHash, message.offset);
      return block && send(conn, { kind: 'Predecessor_header', blockHash: message.blockHash, offset: message.offset, header: block.header });
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

/** Queues `message`, waiting (the returned promise) only while the outgoing queue is full. */
function send<Meta>(conn: Connection<PeerMessage, Meta>, message: PeerMessage): undefined | Promise<undefined> {
  if (conn.writeNow(message)) return undefined;
  return conn.write(message).then(() => undefined);
}

async function advertise<Meta>(conn: Connection<PeerMessage, Meta>, points: PointsSource): Promise<undefined> {
  const advertised = await advertisedPoints(points);
  if (advertised.length > 0) await send(conn, { kind: 'Advertise', points: advertised });
  return undefined;
}

async function sendHeaders<Meta>(conn: Connection<PeerMessage, Meta>, chain: ChainState, hashes: Iterable<Uint8Array>): Promise<undefined> {
  for (const hash of hashes) {
    const block = chain.block(hash);
    if (block) await send(conn, { kind: 'Block_header', header: block.header });
  }
  return undefined;
}

/**
 * One peer's Current_branch and Current_head answers, each message object kept while the chain
 * returns the same locator, header and mempool objects, and the Advertise of a short list of
 * points: a codec may then reuse its encoding (the listener's does), the same bytes going out for
 * every request between two heads.
 */
class ChainAnswers {
  private readonly chain: ChainState;
  private readonly disableMempool: boolean;
  private branch: PeerMessageOf<'Current_branch'> | undefined;
  private head: PeerMessageOf<'Current_head'> | undefined;
  /** A list source's points a node would take, and their Advertise when there are at most 50. */
  private listed: string[] | undefined;
  private advertised: PeerMessage | undefined;

  constructor(chain: ChainState, disableMempool: boolean) {
    this.chain = chain;
    this.disableMempool = disableMempool;
  }

  currentBranch(): PeerMessage {
    const locator = this.chain.locator();
    let answer = this.branch;
    if (answer?.locator !== locator) {
      answer = { kind: 'Current_branch', chainId: this.chain.chainId, locator };
      this.branch = answer;
    }
    return answer;
  }

  /**
   * The Advertise of a list of points, read once: the same message for every Bootstrap when it
   * has at most 50 points, a new sample of them otherwise; null when it has none (nothing is sent).
   */
  listAdvertise(points: readonly (Point | string)[]): PeerMessage | null {
    this.listed ??= canonicalPoints(points);
    if (this.listed.length === 0) return null;
    if (this.listed.length > ADVERTISED_POINTS) return { kind: 'Advertise', points: sampledPoints(this.listed) };
    this.advertised ??= { kind: 'Advertise', points: this.listed };
    return this.advertised;
  }

  currentHead(head: StoredBlock): PeerMessage {
    const mempool = this.disableMempool ? EMPTY_MEMPOOL : this.chain.mempool();
    let answer = this.head;
    if (answer?.header !== head.header || answer.mempool !== mempool) {
      answer = { kind: 'Current_head', chainId: this.chain.chainId, header: head.header, mempool };
      this.head = answer;
    }
    return answer;
  }
}

const EMPTY_MEMPOOL = Object.freeze({ knownValid: new HashList(), pending: new HashList() });

/** The node's metadata `disable_mempool` (NodeMetadata); false for any other metadata. */
function announcesDisableMempool(meta: unknown): boolean {
  return typeof meta === 'object' && meta !== null && (meta as { disableMempool?: unknown }).disableMempool === true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}
