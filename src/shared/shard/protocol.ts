/**
 * What main and a shard say to each other (architecture.md §2–§4).
 *
 * Three channels:
 * - the control plane: `ShardControl`, the shard's request/response API, called from main
 *   through comlink over the worker's port (dial, adopt, accept, nack, abandon, stats, cpuUsage,
 *   drain, shutdown); a socket travels with `Comlink.transfer`. A call costs tens of µs
 *   (bench:control), so it is made twice per connection (adopt or dial, then accept) and never
 *   per message.
 * - shard events (`ShardEvent`): typed messages on the same port for what the shard decides on
 *   its own (a connection it ended while main's policy was deciding) and the ring doorbells. A
 *   plain typed message costs a fraction of a comlink-proxied callback (bench:control), so
 *   events are not comlink calls.
 * - the data plane: the two SharedArrayBuffer rings, whose records are defined in records.ts.
 */
import type { ErrorRecord } from '../errors.ts';
import type { PendingMessagesConfig } from '../session/pending-message-budget.ts';
import type { NetworkVersion } from '../wire/network-version.ts';
import type { Point } from '../wire/point.ts';
import type { BandwidthConfig } from '../session/io-scheduler.ts';

/** The peer as the shard learned it; metadata stays bytes, decoded on main by the user's codec. */
export interface WireInfo {
  readonly peerId: string;
  readonly publicKey: Uint8Array;
  readonly announcedVersion: NetworkVersion;
  readonly incoming: boolean;
  readonly idPoint: { readonly host: string; readonly port: number | undefined };
  readonly remoteSocketPort: number;
  readonly remoteMetadata: Uint8Array;
  /** The peer has our own peer id: main refuses it with MYSELF once it decoded the metadata (protocol.md §7.3). */
  readonly myself: boolean;
}

export interface SessionLimitsRecord {
  readonly incomingQueueSize: number;
  readonly maxMessageSize: number;
}

/** A control call's result: errors cross as records and are rebuilt with their class on main. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorRecord };

/** A new connection for a shard: its pool-wide id, its stats slot, and its deadline. */
export interface Opening {
  readonly id: number;
  readonly slot: number;
  /** Milliseconds for everything until established: dial, authenticate, the policy, accept. */
  readonly timeout: number;
}

/** Per-state connection counts, as the shard sees them. */
export type ShardCounts = Readonly<Record<string, number>>;

/** The shard's control API (exposed with comlink; every method is one round trip). */
export interface ShardControl {
  /** Authenticates an accepted socket (transferred). Resolves once authenticated or failed. */
  adopt(opening: Opening & { readonly socket: unknown }): Promise<Outcome<WireInfo>>;
  /** Dials and authenticates. */
  dial(opening: Opening & { readonly host: string; readonly port: number }): Promise<Outcome<WireInfo>>;
  /** Sends our Ack and awaits the peer's; resolves established or failed. */
  accept(id: number, limits: SessionLimitsRecord): Promise<Outcome<null>>;
  /** Sends a Nack and closes. */
  nack(id: number, motive: number, points: readonly Point[]): Promise<Outcome<null>>;
  /** Ends the connection in whatever state it is; resolves once the shard has forgotten it. */
  abandon(id: number): Promise<void>;
  /** What the connection waits for, for the message of a TIMEOUT main's deadline gives. */
  waitingFor(id: number): string;
  advertise(port: number): void;
  /** Connections by lifecycle state. */
  stats(): ShardCounts;
  /** This worker thread's own CPU time so far, µs (`process.threadCpuUsage()`): bench:scale's per-shard cost. */
  cpuUsage(): NodeJS.CpuUsage;
  /** Closes every connection, sending queued messages first; resolves when all are gone. */
  drain(): Promise<void>;
  /** Closes every connection at once; resolves when all are gone. */
  shutdown(): Promise<void>;
}

/** Shard → main typed messages, besides comlink's replies. */
export type ShardEvent =
  /** The shard ended a connection main had not yet answered (deadline, peer left). */
  | { readonly t: 'dropped'; readonly connection: number; readonly error: ErrorRecord }
  | { readonly t: 'bell' }
  | { readonly t: 'space' }
  /**
   * The turn's large received bodies, transferred (`bodies[i]` is connection `connections[i]`'s,
   * in order; each one's MESSAGE_TRANSFERRED ring record gives its place), and the doorbell when
   * `bell` (outbox.ts: one message per turn).
   */
  | { readonly t: 'bodies'; readonly connections: readonly number[]; readonly bodies: readonly ArrayBuffer[]; readonly bell: boolean };

/** Main → shard doorbells (outside comlink: they are data-plane signals). */
export type MainSignal =
  | { readonly t: 'bell' }
  | { readonly t: 'space' }
  /**
   * The turn's large outgoing layouts, transferred (`layouts[i]` is connection `connections[i]`'s;
   * each one's WRITE_TRANSFERRED ring record gives its place), and the doorbell when `bell`. Under
   * SHARD_WIDE_ID instead: the memory of a body main lent to the application and got back, for the
   * shard's framer to assemble later bodies into (session/body-pool.ts).
   */
  | { readonly t: 'layouts'; readonly connections: readonly number[]; readonly layouts: readonly ArrayBuffer[]; readonly bell: boolean };

/** What a shard starts with (workerData). */
export interface ShardConfig {
  readonly index: number;
  readonly secretKey: Uint8Array;
  readonly proofOfWorkStamp: Uint8Array;
  readonly announcedVersion: NetworkVersion;
  readonly proofOfWorkDifficulty: number;
  readonly advertisedPort: number | undefined;
  readonly localMetadata: Uint8Array;
  /** main→shard ring. */
  readonly inbound: SharedArrayBuffer;
  /** shard→main ring. */
  readonly outbound: SharedArrayBuffer;
  /** Totals per connection slot (stat-slots.ts). */
  readonly stats: SharedArrayBuffer;
  /** The pool-wide pending-message budget, shared with main and the other shards. */
  readonly pendingMessages?: PendingMessagesConfig | undefined;
  /** The pool's bandwidth table when it limits a direction (io-scheduler.ts); this shard is thread `index`. */
  readonly bandwidth?: BandwidthConfig | undefined;
}

/** Connection slots in each shard's stats table. */
export const STAT_SLOTS = 1 << 16;

/**
 * Received bodies of at least this many bytes cross to main as a transferred ArrayBuffer (one
 * postMessage) instead of ring records (a copy into the ring, a copy out, a join); outgoing
 * layouts of at least this many bytes cross to the shard the same way (the same two copies). The
 * ring is cheaper for small bodies, where the copies are short and a postMessage dominates; from
 * 16 KiB a transfer costs main less CPU and moves more bodies a second (bench/transfer-threshold.ts
 * measures both per body size).
 */
export const TRANSFER_THRESHOLD = 16 * 1024;
