/**
 * A deterministic chain for the node-like responder: a genesis block, then blocks 1…head, each a
 * well-formed shell header (docs/node.md, "The synthetic chain") built from the level alone, so
 * that two runs, or two processes, given the same options hold the same blocks and hashes.
 * `advance()` bakes the next block; `startBaking(ms)` does so on a timer.
 */
import { EventEmitter } from 'node:events';
import { blake2b } from '../shared/crypto/hash.ts';
import { hashFromBase58 } from '../messages/hashes.ts';
import { HashList } from '../messages/hash-list.ts';
import type { BlockHeader, BlockLocator, Mempool } from '../messages/peer-message.ts';
import { peerMessageCodec } from '../messages/peer-message-codec.ts';
import type { ChainState, StoredBlock } from './chain-state.ts';
import { chainIdOf, genesisOfChainName } from './genesis.ts';

export interface SyntheticChainOptions {
  /** The genesis block hash, 32 bytes or `B…` text. Default: the genesis of `chainName`. */
  readonly genesis?: Uint8Array | string;
  /** Picks the default genesis (`genesisOfChainName`); default `SANDBOXED_MAVRYK`, whose genesis is Mavryk mainnet's. */
  readonly chainName?: string;
  /** Level of the head at start (default 100). */
  readonly headLevel?: number;
  /** Genesis time, seconds since the epoch (default 2024-01-01T00:00:00Z). */
  readonly genesisTime?: bigint;
  /** Seconds between two blocks' timestamps (default 8). */
  readonly blockSeconds?: number;
  /** Protocol level of every block above genesis (default 1). */
  readonly protoLevel?: number;
  /** Blocks held below the head, genesis apart (default 10,000): older ones are forgotten, as a rolling node's. */
  readonly retain?: number;
}

/** History hashes a node puts in the locator it sends (Octez's `compute_locator` uses at most 200). */
export const LOCATOR_HISTORY_SENT = 200;
/** Consecutive history steps of one size before the step doubles. */
const STEPS_PER_SIZE = 10;
const DEFAULT_GENESIS_TIME = 1_704_067_200n;

/** The mempool of a chain without operations: one object, so its answers encode alike. */
const EMPTY_MEMPOOL: Mempool = Object.freeze({ knownValid: new HashList(), pending: new HashList() });
/** `Operation_list_list_hash` of a block without operation lists: Blake2b-256 of nothing. */
const NO_OPERATIONS_HASH = new Uint8Array(blake2b(32, Buffer.alloc(0)));

export class SyntheticChain implements ChainState {
  readonly chainId: Uint8Array;
  readonly genesis: Uint8Array;
  private readonly genesisTime: bigint;
  private readonly blockSeconds: bigint;
  private readonly protoLevel: number;
  private readonly retain: number;
  /** Genesis as Octez stores it: level 0, under the genesis hash (not its header's Blake2b). */
  private readonly genesisBlock: StoredBlock;
  /** Blocks above genesis by level, from `oldest` to the head. */
  private readonly byLevel = new Map<number, StoredBlock>();
  private readonly levelByHash = new Map<string, number>();
  private oldest = 1;
  private headLevel = 0;
  private readonly events = new EventEmitter<{ head: [StoredBlock] }>();
  private baking: NodeJS.Timeout | undefined;
  /** The head's locator, built once per head: the same object lets a responder reuse its encoding. */
  private headLocator: BlockLocator | undefined;

  constructor(options: SyntheticChainOptions = {}) {
    const genesis = options.genesis ?? genesisOfChainName(options.chainName ?? 'SANDBOXED_MAVRYK');
    this.genesis = typeof genesis === 'string' ? hashFromBase58('block', genesis) : Uint8Array.from(genesis);
    this.chainId = chainIdOf(this.genesis);
    this.genesisTime = options.genesisTime ?? DEFAULT_GENESIS_TIME;
    this.blockSeconds = BigInt(checkInteger('blockSeconds', options.blockSeconds ?? 8, 1, 2 ** 31));
    this.protoLevel = checkInteger('protoLevel', options.protoLevel ?? 1, 0, 255);
    this.retain = checkInteger('retain', options.retain ?? 10_000, 1, 2 ** 31);
    this.genesisBlock = {
      hash: this.genesis,
      header: {
        level: 0,
        proto: 0,
        predecessor: this.genesis,
        timestamp: this.genesisTime,
        validationPass: 0,
        operationsHash: NO_OPERATIONS_HASH,
        fitness: [],
        context: this.contextHash(0),
        protocolData: new Uint8Array(0),
      },
    };
    this.events.setMaxListeners(0);
    const target = checkInteger('headLevel', options.headLevel ?? 100, 0, 2 ** 31 - 2);
    while (this.headLevel < target) this.bake();
  }

  head(): StoredBlock {
    return this.atLevel(this.headLevel)!;
  }

  /**
   * The head and its history, newest first: ten predecessors one step apart, then ten two steps
   * apart, four, and so on (Octez draws the steps from a seed; any spacing is valid), ending with
   * genesis once the walk reaches it, or at the oldest block held. At most 200 hashes.
   */
  locator(): BlockLocator {
    if (this.headLocator?.currentHead.level === this.headLevel) return this.headLocator;
    const hashes: Uint8Array[] = [];
    let level = this.headLevel;
    let step = 1;
    while (level > 0 && hashes.length < LOCATOR_HISTORY_SENT) {
      level = Math.max(0, level - step);
      const block = this.atLevel(level);
      if (block === undefined) break;
      hashes.push(block.hash);
      if (hashes.length % STEPS_PER_SIZE === 0) step *= 2;
    }
    this.headLocator = Object.freeze({ currentHead: this.head().header, history: HashList.from(hashes) });
    return this.headLocator;
  }

  block(hash: Uint8Array): StoredBlock | undefined {
    if (equalBytes(hash, this.genesis)) return this.genesisBlock;
    const level = this.levelByHash.get(hexOf(hash));
    return level === undefined ? undefined : this.atLevel(level);
  }

  predecessor(hash: Uint8Array, offset: number): StoredBlock | undefined {
    const block = this.block(hash);
    if (block === undefined || offset < 0) return undefined;
    return this.atLevel(block.header.level - offset);
  }

  /** A node that has not moved its checkpoint keeps it at genesis. */
  checkpoint(): StoredBlock | undefined {
    return this.genesisBlock;
  }

  /** An empty mempool: the chain holds no operations. */
  mempool(): Mempool {
    return EMPTY_MEMPOOL;
  }

  onHead(listener: (head: StoredBlock) => void): () => void {
    this.events.on('head', listener);
    return () => void this.events.off('head', listener);
  }

  /** Bakes the next block on the head and announces it; returns it. */
  advance(): StoredBlock {
    const head = this.bake();
    this.events.emit('head', head);
    return head;
  }

  /** Bakes a block every `intervalMs` until `stopBaking()`; the timer does not keep the process alive. */
  startBaking(intervalMs: number): void {
    this.stopBaking();
    this.baking = setInterval(() => this.advance(), checkInteger('intervalMs', intervalMs, 1, 2 ** 31 - 1));
    this.baking.unref();
  }

  stopBaking(): void {
    clearInterval(this.baking);
    this.baking = undefined;
  }

  private atLevel(level: number): StoredBlock | undefined {
    return level === 0 ? this.genesisBlock : this.byLevel.get(level);
  }

  private bake(): StoredBlock {
    const level = this.headLevel + 1;
    const header: BlockHeader = {
      level,
      proto: this.protoLevel,
      predecessor: this.head().hash,
      timestamp: this.genesisTime + BigInt(level) * this.blockSeconds,
      validationPass: 0,
      operationsHash: NO_OPERATIONS_HASH,
      // Tenderbake's fitness: version 02, level, no locked round, predecessor round, round.
      fitness: [Uint8Array.of(0x02), int32Bytes(level), new Uint8Array(0), int32Bytes(-1), int32Bytes(0)],
      context: this.contextHash(level),
      protocolData: new Uint8Array(0),
    };
    const block = { hash: blockHashOf(header), header };
    this.byLevel.set(level, block);
    this.levelByHash.set(hexOf(block.hash), level);
    this.headLevel = level;
    while (this.headLevel - this.oldest >= this.retain) {
      const forgotten = this.byLevel.get(this.oldest)!;
      this.byLevel.delete(this.oldest);
      this.levelByHash.delete(hexOf(forgotten.hash));
      this.oldest++;
    }
    return block;
  }

  private contextHash(level: number): Uint8Array {
    return new Uint8Array(blake2b(32, Buffer.from('synthetic context'), Buffer.from(this.genesis), Buffer.from(int32Bytes(level))));
  }
}

/** Blake2b-256 of the header's encoding: the body of a `Block_header` message, tag aside. */
export function blockHashOf(header: BlockHeader): Uint8Array {
  const encoded = peerMessageCodec.encode({ kind: 'Block_header', header });
  return new Uint8Array(blake2b(32, encoded.subarray(2)));
}

function int32Bytes(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setInt32(0, value);
  return bytes;
}

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

function checkInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  return value;
}
