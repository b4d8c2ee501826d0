/**
 * What `listen --node` serves on each connection, in every listener mode: the node-like
 * responder (p2p-socket/node) on one chain shared by all connections, behind a codec that counts
 * the payload bytes each way for the listener's totals.
 */
import type { MessageCodec } from '../main/codecs.ts';
import type { Connection } from '../main/connection.ts';
import type { NodeMetadata } from '../shared/wire/metadata.ts';
import { hashToBase58 } from '../messages/hashes.ts';
import { peerMessageCodec } from '../messages/peer-message-codec.ts';
import type { PeerMessage } from '../messages/peer-message.ts';
import { serveNodePeer, type NodePeerEnd } from '../node/node-responder.ts';
import { SyntheticChain } from '../node/synthetic-chain.ts';
import type { NodeListenOptions } from './node-listen-options.ts';

/** Payload bytes (tag and body) that went through a codec, each way. */
export interface PayloadBytes {
  received: number;
  sent: number;
}

export class NodeService {
  readonly chain: SyntheticChain;
  readonly bytes: PayloadBytes = { received: 0, sent: 0 };
  /** The peer-message codec, counting into `bytes` (the pool listener's totals). */
  readonly codec: MessageCodec<PeerMessage>;
  private readonly options: NodeListenOptions;

  constructor(options: NodeListenOptions, chainName: string) {
    this.options = options;
    this.chain = new SyntheticChain({ chainName, ...(options.genesis === undefined ? {} : { genesis: options.genesis }) });
    if (options.blockInterval !== undefined) this.chain.startBaking(options.blockInterval);
    this.codec = countingCodec(this.bytes);
  }

  /** Serves one connection until it ends; rejects with the error that ended it (DECODING_ERROR …). */
  serve(conn: Connection<PeerMessage, NodeMetadata>): Promise<NodePeerEnd> {
    return serveNodePeer(conn, this.chain, this.options.points);
  }

  /** The chain served, for the `listening` line. */
  describeJson(): { chain_id: string; genesis: string; head_level: number } {
    return { chain_id: hashToBase58('chainId', this.chain.chainId), genesis: hashToBase58('block', this.chain.genesis), head_level: this.chain.head().header.level };
  }

  describe(): string {
    const { chain_id, head_level } = this.describeJson();
    return `node on chain ${chain_id}, head at level ${head_level}`;
  }

  stop(): void {
    this.chain.stopBaking();
  }
}

/**
 * The peer-message codec, adding the payload bytes it decodes and encodes to `bytes`. The
 * responder answers every Get_current_head and Get_current_branch between two heads, and every
 * Bootstrap when it has at most 50 points, with the same message object (node-responder.ts): its
 * bytes are encoded once and reused while it lives.
 */
export function countingCodec(bytes: PayloadBytes): MessageCodec<PeerMessage> {
  const repeated = new WeakMap<PeerMessage, Buffer>();
  return {
    encode(message) {
      const reusable = message.kind === 'Current_head' || message.kind === 'Current_branch' || message.kind === 'Advertise';
      let body = reusable ? repeated.get(message) : undefined;
      if (body === undefined) {
        body = peerMessageCodec.encode(message);
        if (reusable) repeated.set(message, body);
      }
      bytes.sent += body.length;
      return body;
    },
    decode(body) {
      const message = peerMessageCodec.decode(body);
      bytes.received += body.length;
      return message;
    },
  };
}
