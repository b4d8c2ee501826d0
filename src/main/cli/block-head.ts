/**
 * A block head as the crawler and the node-mode generator report it: level, `B…` hash,
 * timestamp and protocol level of a header. The hash is Blake2b-256 of the header's encoding
 * (docs/messages.md, "Hashes").
 */
import { LayoutWriter } from '../../messages/layout-cursor.ts';
import { hashToBase58 } from '../../messages/hashes.ts';
import { partLayouts, type BlockHeader } from '../../messages/peer-message.ts';
import { blake2b } from '../../shared/crypto/hash.ts';

export interface BlockHead {
  readonly level: number;
  /** `B…` */
  readonly hash: string;
  /** Seconds since the epoch (the header's i64), as decimal text. */
  readonly timestamp: string;
  /** Protocol level. */
  readonly proto: number;
}

/** The header's encoding, as its hash covers it (the header was decoded, so it measures). */
export function blockHeaderBytes(header: BlockHeader): Buffer {
  const layout = partLayouts.blockHeader;
  const out = Buffer.allocUnsafe(layout.measure(header));
  layout.write(header, new LayoutWriter(out));
  return out;
}

export function blockHeadOf(header: BlockHeader): BlockHead {
  return {
    level: header.level,
    hash: hashToBase58('block', blake2b(32, blockHeaderBytes(header))),
    timestamp: header.timestamp.toString(),
    proto: header.proto,
  };
}
