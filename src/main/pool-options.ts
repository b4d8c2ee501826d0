/**
 * What a pool is made with: `new Pool(options)`. Checked by `validatePoolOptions`
 * (validate-options.ts); the defaults are the ones each field names.
 */
import type { Identity } from '../shared/identity.ts';
import type { MetadataConfig } from '../shared/wire/metadata.ts';
import type { PolicyHook } from './accept-policy.ts';
import type { AcceptOptions } from './authenticated-connection.ts';
import type { MessageCodec } from './codecs.ts';
import type { ResourceLimits } from 'node:worker_threads';
import type { SHARD_RESOURCE_LIMITS, SHARD_SCRIPT } from './shard-engine.ts';

export interface PoolOptions<Msg, Meta> {
  readonly identity: Identity;
  /** Our chain; peers announcing another are nacked with UNKNOWN_CHAIN_NAME. */
  readonly chainName: string;
  /** Supported distributed-db versions (default the node's [0, 1, 2]); we announce the greatest. */
  readonly distributedDbVersions?: readonly number[];
  /** Supported p2p versions (default [0, 1]). */
  readonly p2pVersions?: readonly number[];
  readonly metadata: MetadataConfig<Meta>;
  readonly codec?: MessageCodec<Msg>;
  /** PoW difficulty demanded from peers (default 24). */
  readonly proofOfWorkDifficulty?: number;
  /** Shard workers; 0 runs connections on the main thread. Default: available parallelism. */
  readonly workers?: number;
  /** Established connections above which peers are nacked TOO_MANY_CONNECTIONS (default 100). */
  readonly maxConnections?: number;
  /**
   * Incoming handshakes in flight (default 20, protocol.md §11.4). When all are taken, a new
   * socket evicts one that has received nothing (or nothing for a quarter of `handshakeTimeout`),
   * or is closed at once; see handshake-admission.ts.
   */
  readonly maxIncomingHandshakes?: number;
  /**
   * Incoming handshakes in flight from one address once half of `maxIncomingHandshakes` are taken
   * (default a quarter of it, at least 1); see handshake-admission.ts.
   */
  readonly maxIncomingHandshakesPerAddress?: number;
  /**
   * Incoming handshakes an address lets time out (or have evicted after a quarter of
   * `handshakeTimeout` of silence), with no success between, before it is greylisted (default 3).
   * Handshakes admitted before the shard workers started (`ready()`) do not count.
   */
  readonly maxHandshakeTimeouts?: number;
  /** Milliseconds for an incoming authenticate + accept (default 5000, protocol.md §11.4). */
  readonly handshakeTimeout?: number;
  /** Milliseconds for an outgoing dial + authenticate + accept (default 10000). */
  readonly connectTimeout?: number;
  /** How long an address or peer id that failed authentication is refused (default 60 s, protocol.md §10.2). */
  readonly greylistMs?: number;
  /** Private mode: only trusted peers are accepted (protocol.md §11.2). */
  readonly privateMode?: boolean;
  readonly trustedPeers?: readonly string[];
  /**
   * Accept several connections with the same peer id (load generators reuse one identity for
   * many connections). Default false: a second connection is nacked ALREADY_CONNECTED.
   */
  readonly allowDuplicatePeers?: boolean;
  /** Do not offer alternative points in Nacks. */
  readonly disablePeerDiscovery?: boolean;
  /** Our listening port as announced to peers (default: the port `listen` bound). */
  readonly advertisedPort?: number;
  /**
   * Bytes all unfinished incoming messages may hold together, every shard included (default
   * 64 MiB). Each connection holds at most its fair share, and never more than three quarters
   * (docs/security.md); one without room stops being read until other messages complete, and
   * that wait counts against its `messageTimeout`, so a message longer than three quarters of
   * this ends with TIMEOUT.
   */
  readonly maxPendingMessageBytes?: number;
  /**
   * Upload and download limits in bytes/s for the whole pool, every shard together (protocol.md
   * §12.1, docs/bandwidth.md); 0 or absent: unlimited. Shared fairly between the connections
   * that want to use it; download is limited by not reading the sockets.
   */
  readonly maxUploadSpeed?: number;
  readonly maxDownloadSpeed?: number;
  /**
   * With a download limit, the most bytes one read step hands to a connection and charges to its
   * quota (default 16384, OCaml's `read_buffer_size`): a connection out of quota stops between
   * steps, so it overshoots by at most this much. Node reads up to 64 KiB per socket callback; the
   * rest of that read waits in memory until the next refill (docs/bandwidth.md).
   */
  readonly readBufferSize?: number;
  /** Options for every accepted connection (queue bounds, chunk size, message limit, `messageTimeout`). */
  readonly accept?: Omit<AcceptOptions<Msg>, 'codec' | 'signal' | 'timeout'>;
  /**
   * Runs after the default policy accepted; may nack or close instead. A hook that throws ends
   * that connection (POLICY_FAILED, closed without an answer); one that does not answer before
   * the connection's deadline ends it with TIMEOUT.
   */
  readonly policy?: PolicyHook<Meta>;
  /** @internal test seam: the worker script shards run (shard-engine.ts). */
  readonly [SHARD_SCRIPT]?: URL;
  /** @internal benchmark seam: every shard Worker's `resourceLimits` (shard-engine.ts). */
  readonly [SHARD_RESOURCE_LIMITS]?: ResourceLimits;
}
