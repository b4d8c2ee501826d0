/**
 * What the node-like responder needs to know about its chain (docs/node.md): its id, its head, the headers it holds, its mempool, and when the head changes.
 * `SyntheticChain` is one; a monitor or a proxy can supply its own.
 */
import type { BlockHeader, BlockLocator, Mempool } from '../messages/peer-message.ts';

/** A block the chain holds: its hash and its header. */
export interface StoredBlock {
  readonly hash: Uint8Array;
  readonly header: BlockHeader;
}

/**
 * Values it returns are not mutated afterwards; returning the same object while a value is
 * unchanged lets the responder reuse its answer (docs/node.md).
 */
export interface ChainState {
  /** The 4-byte chain id (`chainIdOf(genesis)`). */
  readonly chainId: Uint8Array;
  /** The 32-byte genesis block hash. */
  readonly genesis: Uint8Array;
  /** The current head. */
  head(): StoredBlock;
  /** What `Current_branch` carries: the head's header and at most 200 history hashes, newest first. */
  locator(): BlockLocator;
  /** A block the chain holds, by hash; `undefined` when it holds none. */
  block(hash: Uint8Array): StoredBlock | undefined;
  /** The block `offset` steps below the block `hash`, when both are held. */
  predecessor(hash: Uint8Array, offset: number): StoredBlock | undefined;
  /** The checkpoint block (`Get_checkpoint`), when held. */
  checkpoint(): StoredBlock | undefined;
  /** The node's own mempool, as `Current_head` carries it. */
  mempool(): Mempool;
  /** Calls `listener` with each new head; returns the function that stops it. */
  onHead(listener: (head: StoredBlock) => void): () => void;
}
