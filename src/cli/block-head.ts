/**
 * A block head as the crawler reports it: level, `B…` hash (node/synthetic-chain.ts
 * `blockHashOf`: Blake2b-256 of the header's encoding), timestamp and protocol level.
 */
import { hashToBase58 } from '../messages/hashes.ts';
import type { BlockHeader } from '../messages/peer-message.ts';
import { blockHashOf } from '../node/synthetic-chain.ts';

export interface BlockHead {
  readonly level: number;
  /** `B…` */
  readonly hash: string;
  /** Seconds since the epoch (the header's i64), as decimal text. */
  readonly timestamp: string;
  /** Protocol level. */
  readonly proto: number;
}

export function blockHeadOf(header: BlockHeader): BlockHead {
  return { level: header.level, hash: hashToBase58('block', blockHashOf(header)), timestamp: header.timestamp.toString(), proto: header.proto };
}
