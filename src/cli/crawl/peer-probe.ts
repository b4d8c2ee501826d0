/**
 * One dial of the crawl: handshake, then a short exchange as a valid peer would have it
 * (docs/messages.md, "How a node uses them"), then close.
 *
 * 1. Dial and authenticate within `timeout`, announcing port 0 and disable_mempool (the node then
 *    sends its Current_head with an empty mempool), and accept with the peer-message codec.
 * 2. Send Bootstrap: a node that knows public points answers one Advertise.
 * 3. Learn the chain from the node's own Get_current_branch (sent right after the Ack), or take
 *    `--chain-id`; then send Get_current_branch and Get_current_head for it, in that order (a node
 *    answers Get_current_head only on a chain the peer activated with Get_current_branch).
 * 4. Read until the Advertise and the Current_head are in, the peer closes, or `wait` runs out.
 *    The node's requests are not answered: the crawler announces no head of its own.
 *
 * A message that does not decode ends the probe as garbage; a Nack keeps its alternative points,
 * which the walk follows like advertised ones.
 */
import { performance } from 'node:perf_hooks';
import type { PeerMessage } from '../../messages/peer-message.ts';
import { peerMessageCodec } from '../../messages/peer-message-codec.ts';
import { hashToBase58 } from '../../messages/hashes.ts';
import { RejectedByNackError } from '../../shared/errors.ts';
import type { Identity } from '../../shared/identity.ts';
import type { MetadataConfig, NodeMetadata } from '../../shared/wire/metadata.ts';
import type { NetworkVersion } from '../../shared/wire/network-version.ts';
import { formatPoint, parsePointWithPeerId, type Point } from '../../shared/wire/point.ts';
import { connect } from '../../main/connect.ts';
import type { Connection } from '../../main/connection.ts';
import { blockHeadOf, type BlockHead } from '../block-head.ts';
import { classifyFailure, type PeerFailure, type PeerRecord } from './peer-record.ts';

export interface ProbeSetup {
  readonly identity: Identity;
  readonly announcedVersion: NetworkVersion;
  readonly metadata: MetadataConfig<NodeMetadata>;
  /** Dial + handshake, ms. */
  readonly timeout: number;
  /** Exchange after the handshake, ms. */
  readonly wait: number;
  /** The chain to ask about if the peer names none first. */
  readonly chainId: Uint8Array | undefined;
}

/**
 * The largest message the crawler takes: a Current_branch (an 8 MiB header and 1,000 hashes)
 * fits; a whole 100 MiB message from each of many peers at once would not fit in memory.
 */
const MAX_MESSAGE_BYTES = 9 * 1024 * 1024;

type PeerConnection = Connection<PeerMessage, NodeMetadata>;

export async function probePeer(point: Point, setup: ProbeSetup, signal: AbortSignal): Promise<PeerRecord> {
  const started = performance.now();
  let peerId: string | undefined;
  let announcedVersion: NetworkVersion | undefined;
  let metadata: NodeMetadata | undefined;
  let handshakeMs: number | undefined;
  let connection: PeerConnection | undefined;
  const found = new Found();
  let failure: PeerFailure | undefined;
  try {
    const peer = await connect(point.host, point.port, {
      identity: setup.identity,
      announcedVersion: setup.announcedVersion,
      metadata: setup.metadata,
      // The crawler takes every peer as it is: their proof of work is not what is surveyed.
      proofOfWorkDifficulty: 0,
      timeout: setup.timeout,
      signal,
    });
    peerId = peer.info.peerId;
    announcedVersion = peer.info.announcedVersion;
    metadata = peer.info.remoteMetadata;
    connection = await peer.accept({
      codec: peerMessageCodec,
      maxMessageSize: MAX_MESSAGE_BYTES,
      timeout: Math.max(1, setup.timeout - (performance.now() - started)),
      signal,
    });
    handshakeMs = performance.now() - started;
    failure = await exchange(connection, setup, found, signal);
  } catch (error) {
    if (error instanceof RejectedByNackError) found.addPoints(error.alternativePoints ?? []);
    failure = classifyFailure(error, signal.aborted);
  } finally {
    await connection?.close().catch(() => undefined);
  }
  return { peerId, announcedVersion, metadata, chainId: found.chainId, head: found.head, advertised: found.points(), handshakeMs, failure };
}

/** What the exchange has found so far. */
class Found {
  chainId: string | undefined;
  /** From Current_head when one came, else from Current_branch. */
  head: BlockHead | undefined;
  headFromCurrentHead = false;
  advertised = false;
  private readonly byKey = new Map<string, Point>();

  addPoints(texts: readonly string[]): void {
    for (const text of texts) {
      let point: Point;
      try {
        point = parsePointWithPeerId(text).point;
      } catch {
        continue; // The codec checked every advertised text already; a Nack's points too (ack.ts).
      }
      this.byKey.set(formatPoint(point), point);
    }
  }

  points(): Point[] {
    return [...this.byKey.values()];
  }
}

/** Runs steps 2–4; resolves to the failure that ended it, if any. */
async function exchange(connection: PeerConnection, setup: ProbeSetup, found: Found, signal: AbortSignal): Promise<PeerFailure | undefined> {
  let chain: Uint8Array | undefined;
  const ask = (chainId: Uint8Array): void => {
    chain = chainId;
    found.chainId = hashToBase58('chainId', chainId);
    connection.writeNow({ kind: 'Get_current_branch', chainId });
    connection.writeNow({ kind: 'Get_current_head', chainId });
  };
  connection.writeNow({ kind: 'Bootstrap' });
  if (setup.chainId !== undefined) ask(setup.chainId);
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(setup.wait)]);
  const sameChain = (chainId: Uint8Array): boolean => chain !== undefined && Buffer.from(chainId).equals(Buffer.from(chain));
  try {
    while (!(found.advertised && found.headFromCurrentHead)) {
      const { message } = await connection.read({ signal: deadline });
      switch (message.kind) {
        case 'Get_current_branch':
          if (chain === undefined) ask(message.chainId);
          break;
        case 'Advertise':
          found.advertised = true;
          found.addPoints(message.points);
          break;
        case 'Current_branch':
          if (sameChain(message.chainId) && !found.headFromCurrentHead) found.head = blockHeadOf(message.locator.currentHead);
          break;
        case 'Current_head':
          if (sameChain(message.chainId)) {
            found.head = blockHeadOf(message.header);
            found.headFromCurrentHead = true;
          }
          break;
        case 'Disconnect':
          return found.head === undefined && !found.advertised ? { kind: 'closed', code: 'DISCONNECT', message: 'the peer sent Disconnect before answering' } : undefined;
        default:
          break; // Swap_request, Bootstrap, requests for blocks…: a crawler has nothing to say.
      }
    }
    return undefined;
  } catch (error) {
    // The wait ran out: what came is what the peer had to say.
    if (deadline.aborted && !signal.aborted) return undefined;
    const failure = classifyFailure(error, signal.aborted);
    // A peer that answered and then closed did nothing wrong.
    if (failure.kind === 'closed' && (found.head !== undefined || found.advertised)) return undefined;
    return failure;
  }
}
