/**
 * A pool of peer connections: listens and dials, runs the accept policy on the main thread, and
 * keeps the global view (connection count, which peers are connected on any shard, bans).
 * `workers: 0` runs every connection on the main thread; `workers: N` shards them over worker
 * threads that own the sockets (architecture.md §2).
 */
import { captureRejectionSymbol, EventEmitter, once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import {
  AlreadyConnectedError,
  P2pError,
  PointBannedError,
  PolicyFailedError,
  PoolClosedError,
  RejectedError,
  RejectedNoCommonProtocolError,
  TooManyConnectionsError,
  errorFromAbortReason,
} from '../shared/errors.ts';
import { withDeadline } from '../shared/session/deadline.ts';
import type { ConnectionInfo } from '../shared/session/handshake.ts';
import { MOTIVE, motiveName } from '../shared/wire/rejection.ts';
import type { Identity } from '../shared/identity.ts';
import type { MetadataConfig } from '../shared/wire/metadata.ts';
import { announcedVersion, type LocalVersions } from '../shared/wire/network-version.ts';
import { NODE_DISTRIBUTED_DB_VERSIONS, NODE_P2P_VERSIONS } from '../shared/wire/network-version.ts';
import { canonicalHost, type Point } from '../shared/wire/point.ts';
import { defaultPolicy, type PolicyDecision, type PolicyHook, type PolicyView } from './accept-policy.ts';
import { AddressList } from './address-list.ts';
import type { AcceptOptions, AuthenticatedConnection } from './authenticated-connection.ts';
import { bytesCodec, type MessageCodec } from './codecs.ts';
import { socketHost } from '../shared/session/transport.ts';
import type { Connection } from './connection.ts';
import { BroadcastBatch, type BroadcastResult } from './broadcast-batch.ts';
import { DEFAULT_MESSAGE_TIMEOUT, DEFAULT_POW_DIFFICULTY } from './options.ts';
import { DEFAULT_MAX_PENDING_MESSAGE_BYTES, PendingMessageBudget } from '../shared/session/pending-message-budget.ts';
import { ConnectionLifecycle } from './connection-lifecycle.ts';
import { InlineEngine, type Attempt, type PoolEngine, type ShardStats } from './pool-engine.ts';
import { SHARD_SCRIPT, ShardEngine } from './shard-engine.ts';
import { defaultMaxPerAddress, HandshakeAdmission, type AdmissionRefusal } from './handshake-admission.ts';
import { refusalOption, type Greylisting, type Refusal } from './refusal.ts';
import { METRICS_CONTENT_TYPE, PoolMetrics } from './pool-metrics.ts';
import { PoolServer } from './pool-server.ts';
import { callSite, withCallSite } from './call-site.ts';
import { BandwidthCoordinator } from './bandwidth-coordinator.ts';
import type { Stat } from '../shared/session/traffic-stats.ts';
import { validateCloseOptions, validateDial, validateListenOptions, validatePoolOptions, validateSignalOption } from './validate-options.ts';
import { ConnectionFeeds } from './connection-feed.ts';

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
  /** Incoming handshakes in flight above which new sockets are closed at once (default 20, protocol.md §11.4). */
  readonly maxIncomingHandshakes?: number;
  /**
   * Incoming handshakes in flight from one address once half of `maxIncomingHandshakes` are taken
   * (default a quarter of it, at least 1); see handshake-admission.ts.
   */
  readonly maxIncomingHandshakesPerAddress?: number;
  /** Incoming handshakes an address lets time out, with no success between, before it is greylisted (default 3). */
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
   * 64 MiB); past it the connections with large unfinished messages stop being read until it frees.
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
}

export interface PoolStats {
  readonly connections: number;
  readonly handshakesInFlight: number;
  /** Bytes unfinished incoming messages hold, all shards together (see `maxPendingMessageBytes`). */
  readonly pendingMessageBytes: number;
  readonly handshakes: { readonly incoming: number; readonly outgoing: number; readonly failed: number };
  readonly accepted: number;
  readonly nacked: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly shards: readonly ShardStats[];
  /** `broadcast` calls, and the ring bytes (records and their headers) they sent to shards. */
  readonly broadcasts: { readonly messages: number; readonly ringBytes: number };
  /** Established connections by direction. */
  readonly connectionsByDirection: { readonly incoming: number; readonly outgoing: number };
  /** Messages queued and delivered by every connection the pool established, ended ones included. */
  readonly messages: { readonly sent: number; readonly received: number };
  /**
   * `P2p_stat` of the whole pool (protocol.md §12.2): wire totals of every connection it
   * established (ended ones included), rates summed over the established ones.
   */
  readonly io: Stat;
}

/** Errors after which the peer's address is greylisted (protocol.md §10.2). */
const GREYLISTING_CODES = new Set([
  'NOT_ENOUGH_PROOF_OF_WORK',
  'INVALID_AUTH',
  'DECIPHER_ERROR',
  'INVALID_MESSAGE_SIZE',
  'ENCODING_ERROR',
  'DECODING_ERROR',
  'INVALID_CHUNKS_SIZE',
]);

const MAX_NACK_POINTS = 50;

/**
 * Points a Nack can carry: literal IP addresses only (protocol.md §8.3). A peer dialled by host
 * name, or an IPv6 address with a zone id, has no point text the peer could parse; offering one
 * made the Nack unencodable.
 */
function nackablePoints(points: readonly Point[]): Point[] {
  const literal: Point[] = [];
  for (const point of points) {
    const host = canonicalHost(point.host);
    if (host === undefined || !Number.isInteger(point.port) || point.port < 0 || point.port > 0xffff) continue;
    literal.push({ host, port: point.port });
  }
  return literal;
}

/**
 * What the side that sent a Nack reports (protocol.md §11.2 step 6): we refused, with `reason`
 * (the peer's side sees REJECTED_BY_NACK).
 */
function nackedError(motive: number, info: ConnectionInfo<unknown>, reason: string): P2pError {
  if (motive === MOTIVE.UNKNOWN_CHAIN_NAME || motive === MOTIVE.DEPRECATED_P2P_VERSION || motive === MOTIVE.DEPRECATED_DISTRIBUTED_DB_VERSION) {
    return new RejectedNoCommonProtocolError(motive, info.announcedVersion);
  }
  const message = `we nacked peer ${info.peerId} (${motiveName(motive)}): ${reason}`;
  if (motive === MOTIVE.TOO_MANY_CONNECTIONS) return new TooManyConnectionsError(message);
  if (motive === MOTIVE.ALREADY_CONNECTED) return new AlreadyConnectedError(message);
  return new RejectedError(message);
}

/**
 * A pool's events.
 * - `'connection'`: an incoming connection passed the accept policy and is established (also
 *   delivered by `connections()`). Outgoing ones are what `connect` resolves with. A listener
 *   whose promise rejects ends that connection (HANDLER_FAILED), never the process.
 * - `'listening'`: a `listen` call is listening; the handle it resolves with (pool-server.ts).
 * - `'error'`: failures that belong to no single connection: a ShardFailedError (SHARD_FAILED) when a
 *   shard kept dying at start-up and is given up (`cause`: the worker's error), and errors of a
 *   listening server after `listen` resolved (EMFILE and the like, the Error node:net emits).
 *   Errors of one connection never go there: they reject that connection's promise, and peers'
 *   failures (bad proof of work, timeouts, nacks …) are counted in `stats().errors`. With no
 *   `'error'` listener these are only counted: the pool never throws into the event loop.
 * - `'refused'`: a connection this pool turned away, before the handshake (admission limits, a
 *   banned or greylisted address) or after it (the accept policy's nacks and closes, the `policy`
 *   hook's), in either direction, with why and the option that governs it (refusal.ts). Each is
 *   also counted in `stats().errors` under its `code`.
 * - `'greylisted'`: an address this pool greylisted after a failed handshake (refusal.ts); its
 *   connections are then refused until `until`, or until `unban({ address })`.
 */
export interface PoolEvents<Msg, Meta> {
  connection: [Connection<Msg, Meta>];
  listening: [PoolServer];
  error: [Error];
  refused: [Refusal];
  greylisted: [Greylisting];
}

export class Pool<Msg = Uint8Array, Meta = unknown> extends EventEmitter<PoolEvents<Msg, Meta>> {
  readonly identity: Identity;
  private readonly options: PoolOptions<Msg, Meta>;
  private readonly versions: LocalVersions;
  private readonly engine: PoolEngine<Meta>;
  private readonly servers = new Set<PoolServer>();
  private readonly active = new Set<Connection<Msg, Meta>>();
  /** Peer id → connections established or being accepted. */
  private readonly peers = new Map<string, number>();
  readonly bannedAddresses = new AddressList();
  readonly bannedPeers = new AddressList();
  private readonly trusted: Set<string>;
  /** Connections the policy accepted whose Ack exchange is under way: they hold a slot too. */
  private accepting = 0;
  /** Connections not yet established, in either direction. */
  private readonly opening = new Set<ConnectionLifecycle>();
  private readonly admission: HandshakeAdmission;
  private readonly pendingMessageBudget: PendingMessageBudget;
  private closed = false;
  private readonly counters = { incoming: 0, outgoing: 0, failed: 0, accepted: 0, nacked: 0 };
  private readonly broadcasts = { messages: 0, ringBytes: 0 };
  private readonly errorCounts: Record<string, number> = {};
  /** Failures already counted where they were decided (nack, close), not again by `establish`. */
  private readonly counted = new WeakSet<object>();
  /** Wire bytes and messages of ended connections, so totals never go down. */
  private readonly endedTraffic = { totalSent: 0, totalRecv: 0, messagesSent: 0, messagesReceived: 0 };
  private metricsRegistry: Promise<PoolMetrics> | undefined;
  private readonly bandwidth: BandwidthCoordinator | undefined;
  private readonly feeds = new ConnectionFeeds<Connection<Msg, Meta>>(() => this.maxConnections);

  constructor(options: PoolOptions<Msg, Meta>) {
    // A listener whose promise rejects comes to `captureRejectionSymbol`, not the event loop.
    super({ captureRejections: true });
    validatePoolOptions(options);
    this.options = options;
    this.identity = options.identity;
    this.versions = {
      chainName: options.chainName,
      distributedDbVersions: [...(options.distributedDbVersions ?? NODE_DISTRIBUTED_DB_VERSIONS)],
      p2pVersions: [...(options.p2pVersions ?? NODE_P2P_VERSIONS)],
    };
    this.trusted = new Set(options.trustedPeers ?? []);
        const maxHandshakes = options.maxIncomingHandshakes ?? 20;
    this.admission = new HandshakeAdmission({
      maxHandshakes,
      maxPerAddress: options.maxIncomingHandshakesPerAddress ?? defaultMaxPerAddress(maxHandshakes),
      maxTimeouts: options.maxHandshakeTimeouts ?? 3,
    });
    const workers = options.workers ?? availableParallelism();
    // Main charges as thread 0 (workers: 0), shard i as thread i + 1.
    this.pendingMessageBudget = new PendingMessageBudget(options.maxPendingMessageBytes ?? DEFAULT_MAX_PENDING_MESSAGE_BYTES, 1 + workers);
    this.bandwidth = BandwidthCoordinator.create(options, Math.max(1, workers));
    const config = {
      identity: options.identity,
      announcedVersion: announcedVersion(this.versions),
      metadata: options.metadata,
      proofOfWorkDifficulty: options.proofOfWorkDifficulty ?? DEFAULT_POW_DIFFICULTY,
      advertisedPort: options.advertisedPort,
      pendingMessages: { budget: this.pendingMessageBudget.buffer, messageTimeout: options.accept?.messageTimeout ?? DEFAULT_MESSAGE_TIMEOUT },
      bandwidth: this.bandwidth?.config,
    };
    this.engine =
      workers === 0
        ? new InlineEngine(config)
        : new ShardEngine(config, { workers, script: options[SHARD_SCRIPT], onShardFailed: (error) => this.report(error) });
  }

  /**
   * Listens on `host:port` (default 127.0.0.1, port 0: any free port). Resolves, once listening,
   * with the listener's handle: `port` and `host` (so `const { port } = await pool.listen()`
   * reads the bound port), `address()`, `close()` (stops new connections; the pool keeps the
   * ones accepted), `'close'` and `Symbol.asyncDispose`. The pool also emits `'listening'` with
   * it. A pool may listen on several addresses; `pool.close()` stops them all. Aborting `signal`
   * stops this listener (as `net.Server.listen`'s); before it is listening, the promise rejects
   * with ABORTED. POOL_CLOSED if the pool is closed, or closes before the listener is up.
   */
  async listen(options: { host?: string; port?: number; signal?: AbortSignal } = {}): Promise<PoolServer> {
    validateListenOptions(options);
    this.assertOpen();
    const server = createServer({ pauseOnConnect: true, noDelay: true }, (socket) => this.admit(socket));
    const { signal } = options;
    if (signal?.aborted) throw errorFromAbortReason(signal.reason);
    server.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
    // Rejects with the 'error' of a failed listen (EADDRINUSE …); later errors go to 'error'.
    await withDeadline(once(server, 'listening'), { signal }, () => server.close());
    server.on('error', (error) => this.report(error));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('listen: no address');
    if (this.closed) {
      // The pool closed while this listener was starting: it never serves.
      server.close();
      throw new PoolClosedError();
    }
    const listener = new PoolServer(server, address, signal);
    this.servers.add(listener);
    listener.once('close', () => this.servers.delete(listener));
    this.engine.setAdvertisedPort(address.port);
    if (this.listenerCount('listening') > 0) this.emit('listening', listener);
    return listener;
  }

  /**
   * Dials a peer, authenticates it and runs the accept policy. Fails with POINT_BANNED,
   * TOO_MANY_CONNECTIONS, a socket-layer error, REJECTED_BY_NACK, or
   * REJECTED_NO_COMMON_PROTOCOL-style nacks we sent.
   */
  async connect(point: Point, options: { signal?: AbortSignal } = {}): Promise<Connection<Msg, Meta>> {
    const site = callSite();
    validateDial(point, options);
    this.assertOpen();
    const host = canonicalHost(point.host) ?? point.host;
    if (this.bannedAddresses.refuses(host)) throw new PointBannedError(`point ${host} is banned or greylisted`);
    if (this.active.size + this.accepting >= this.maxConnections) {
      throw new TooManyConnectionsError(`already ${this.active.size} connections and ${this.accepting} being accepted`);
    }
    this.counters.outgoing++;
    // One deadline for dial, authenticate and accept (OCaml's connection_timeout, protocol.md §11.4).
    const timeout = this.options.connectTimeout ?? 10_000;
    const lifecycle = new ConnectionLifecycle(false, timeout, options.signal);
    try {
      return await this.establish(lifecycle, host, () => this.engine.dial(host, point.port, timeout));
    } catch (error) {
      // Made on a shard or in a socket callback: its stack would not show this call.
      throw withCallSite(error, site);
    }
  }

  /**
   * Incoming accepted connections, as they come, from the moment of this call (the first
   * iterator also gets those accepted while nobody listened); ends when the pool closes. Every
   * iterator gets every connection, whether or not a `'connection'` listener exists too, and
   * holds at most `maxConnections` unread ones (closed ones are let go first). Aborting `signal`
   * ends it: its waiting `next` rejects with ABORTED (TIMEOUT for `AbortSignal.timeout`).
   */
  connections(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<Connection<Msg, Meta>> {
    validateSignalOption(options);
    return this.feeds.open(options.signal);
  }

  /** Connections currently established. */
  get size(): number {
    return this.active.size;
  }

  /** Refuses an address before the handshake (`address`) or a peer id after it (`peerId`), until `unban`. */
  ban(target: { address?: string; peerId?: string }): void {
    if (target.address) this.bannedAddresses.ban(canonicalHost(target.address) ?? target.address);
    if (target.peerId) this.bannedPeers.ban(target.peerId);
  }

  /**
   * Lifts a ban and a greylisting of an address or a peer id: its next connection is admitted
   * again (one it greylisted after a failed handshake included, `'greylisted'` event).
   */
  unban(target: { address?: string; peerId?: string }): void {
    if (target.address) this.bannedAddresses.unban(canonicalHost(target.address) ?? target.address);
    if (target.peerId) this.bannedPeers.unban(target.peerId);
  }

  /**
   * Refuses an address and a peer id for `durationMs` (default `greylistMs`), as the node's
   * `greylist_peer` does to a peer that sent an undecodable message (docs/node.md). `code` is
   * what the peer did (default `DECODING_ERROR`); the address's greylisting is announced on
   * `'greylisted'` like the pool's own.
   */
  greylistPeer(target: { address?: string; peerId?: string }, options: { durationMs?: number; code?: string } = {}): void {
    const durationMs = options.durationMs ?? this.options.greylistMs ?? 60_000;
    const code = options.code ?? 'DECODING_ERROR';
    if (target.address) this.greylist(canonicalHost(target.address) ?? target.address, code, `${code} (pool.greylistPeer)`, 'greylistMs', durationMs);
    if (target.peerId) this.bannedPeers.greylist(target.peerId, durationMs, Date.now(), code);
  }

  /**
   * Resolves once every shard worker has started (inline: at once). Handshakes admitted before
   * that wait for their shard, and their deadline runs meanwhile.
   */
  ready(): Promise<void> {
    return this.engine.ready();
  }

  /**
   * Each shard's own count of the connections it holds, by lifecycle state (`handshaking`,
   * `authenticated`, `established`, …): one control call per shard. Inline: none.
   * @internal a probe for tests
   */
  shardConnectionStates(): Promise<Array<Readonly<Record<string, number>>>> {
    return this.engine instanceof ShardEngine ? this.engine.shardCounts() : Promise.resolve([]);
  }

  /**
   * Each shard thread's own CPU time so far, µs (`process.threadCpuUsage()` in the worker; one
   * control call per shard; undefined for a dead shard). With `process.threadCpuUsage()` on main
   * this splits the pool's CPU by thread (bench/scale.ts). Inline: none.
   */
  shardCpuUsage(): Promise<Array<NodeJS.CpuUsage | undefined>> {
    return this.engine instanceof ShardEngine ? this.engine.shardCpuUsage() : Promise.resolve([]);
  }

  /** Terminates shard `index` as a crash would (it is replaced); for tests and operators. */
  killShard(index: number): Promise<number> {
    if (!(this.engine instanceof ShardEngine)) throw new TypeError('killShard needs workers > 0');
    return this.engine.killShard(index);
  }

  stats(): PoolStats {
    const ended = this.endedTraffic;
    const io = { totalSent: ended.totalSent, totalRecv: ended.totalRecv, currentInflow: 0, currentOutflow: 0 };
    const messages = { sent: ended.messagesSent, received: ended.messagesReceived };
    const connectionsByDirection = { incoming: 0, outgoing: 0 };
    for (const conn of this.active) {
      const stat = conn.stat();
      io.totalSent += stat.totalSent;
      io.totalRecv += stat.totalRecv;
      io.currentInflow += stat.currentInflow;
      io.currentOutflow += stat.currentOutflow;
      const counts = conn.messageCounts;
      messages.sent += counts.sent;
      messages.received += counts.received;
      if (conn.info.incoming) connectionsByDirection.incoming++;
      else connectionsByDirection.outgoing++;
    }
    return {
      connections: this.active.size,
      handshakesInFlight: this.admission.inFlight,
      pendingMessageBytes: this.pendingMessageBudget.used,
      handshakes: { incoming: this.counters.incoming, outgoing: this.counters.outgoing, failed: this.counters.failed },
      accepted: this.counters.accepted,
      nacked: this.counters.nacked,
      errors: { ...this.errorCounts },
      shards: this.engine.shardStats(),
      broadcasts: { ...this.broadcasts },
      connectionsByDirection,
      messages,
      io,
    };
  }

  /**
   * Sends `message` to `connections` (default: every established one): encoded once, and with
   * shards, carried to each shard once for all its connections, each of which seals its own copy
   * (architecture.md §3). Each connection queues or drops it as `writeNow` would (a full outgoing
   * queue drops; `'drain'` follows); a closed connection counts as dropped. Throws ENCODING_ERROR
   * before queueing anything when the message does not encode.
   */
  broadcast(message: Msg, connections: Iterable<Connection<Msg, Meta>> = this.active): BroadcastResult {
    const batch = new BroadcastBatch(message);
    for (const conn of connections) conn.joinBroadcast(batch);
    const { queued, dropped, ringBytes } = batch.flush();
    this.broadcasts.messages++;
    this.broadcasts.ringBytes += ringBytes;
    return { queued, dropped };
  }

  /**
   * The pool's Prometheus metrics in the text exposition format (pool-metrics.ts), for serving
   * from the user's own HTTP server with `metricsContentType`. Reads only what main holds. The
   * first call loads prom-client, which importing the library does not.
   */
  async metrics(): Promise<string> {
    return (await (this.metricsRegistry ??= PoolMetrics.create(() => this.stats()))).text();
  }

  /** The `content-type` to serve `metrics()` with (Prometheus text format 0.0.4). */
  get metricsContentType(): string {
    return METRICS_CONTENT_TYPE;
  }

  /**
   * Stops listening and closes every connection. With `wait`, messages already queued are sent
   * first (protocol.md §9.4 `close ~wait`) for at most `timeout` ms each (default 10 s, as
   * `Connection.close`); aborting `signal` stops that wait (what is still queued is dropped) and
   * the promise rejects with ABORTED or TIMEOUT.
   */
  async close(options: { wait?: boolean; timeout?: number; signal?: AbortSignal } = {}): Promise<void> {
    validateCloseOptions(options);
    if (this.closed) return;
    this.closed = true;
    this.metricsRegistry?.then((metrics) => metrics.stop(), () => undefined);
    for (const server of this.servers) void server.close();
    for (const lifecycle of this.opening) lifecycle.stop(new PoolClosedError());
    const closeOptions = { wait: options.wait ?? false, reason: 'pool closed', ...(options.signal ? { signal: options.signal } : {}), ...(options.timeout === undefined ? {} : { timeout: options.timeout }) };
    const closing = await Promise.allSettled([...this.active].map((conn) => conn.close(closeOptions)));
    const aborted = closing.find((result) => result.status === 'rejected');
    this.feeds.end();
    await this.engine.close(options.wait ?? false);
    // Last: closing with `wait` drains queued messages under the limits.
    this.bandwidth?.close();
    if (aborted) throw aborted.reason;
  }

  private get maxConnections(): number {
    return this.options.maxConnections ?? 100;
  }

  /** Pre-handshake admission on main (protocol.md §11.4), then authentication on the engine. */
  private admit(socket: Socket): void {
    const host = socketHost(socket);
    const refusal = this.closed
      ? 'POOL_CLOSED'
      : this.bannedAddresses.refuses(host)
        ? 'POINT_BANNED'
        : this.admission.admit(host);
    if (refusal) {
      // Closed at once, nothing sent (protocol.md §11.4).
      socket.destroy();
      this.count(refusal);
      if (this.listenerCount('refused') > 0) this.emit('refused', this.admissionRefusal(refusal, host, socket.remotePort));
      return;
    }
    this.counters.incoming++;
    // One deadline for authenticate, the policy and accept (protocol.md §11.4).
    const timeout = this.options.handshakeTimeout ?? 5000;
    const lifecycle = new ConnectionLifecycle(true, timeout);
    let outcome: string | undefined;
    this.establish(lifecycle, host, () => this.engine.adopt(socket, timeout, host))
      .then(
        (conn) => this.deliverIncoming(conn),
        // Counted in `establish`; the connection's failure is its own.
        (error: unknown) => void (outcome = error instanceof P2pError ? error.code : 'UNTYPED'),
      )
      .finally(() => {
        // Repeated stalls greylist the address as a failed handshake does (handshake-admission.ts).
        if (this.admission.release(host, outcome)) {
          this.greylist(host, 'TIMEOUT', `${this.options.maxHandshakeTimeouts ?? 3} incoming handshakes in a row timed out (maxHandshakeTimeouts)`, 'maxHandshakeTimeouts');
        }
      });
  }

  /** The `'refused'` event of a socket closed before its handshake. */
  private admissionRefusal(code: 'POOL_CLOSED' | 'POINT_BANNED' | AdmissionRefusal, host: string, port: number | undefined): Refusal {
    const base = { address: host, port, direction: 'incoming' as const, peerId: undefined, code, motive: undefined };
    if (code === 'POOL_CLOSED') return { ...base, reason: 'the pool is closing', option: undefined, until: undefined };
    if (code !== 'POINT_BANNED') return { ...base, reason: this.admission.explain(code, host), option: refusalOption(code, undefined, false), until: undefined };
    const entry = this.bannedAddresses.entry(host);
    const until = entry?.until;
    const reason =
      until === undefined
        ? `address ${host} is banned (pool.ban); pool.unban({ address: '${host}' }) lifts it`
        : `address ${host} is greylisted until ${new Date(until).toISOString()} after ${entry?.code ?? 'a failed handshake'} (greylistMs); pool.unban({ address: '${host}' }) lifts it`;
    return { ...base, reason, option: refusalOption(code, undefined, until !== undefined), until };
  }

  /** Greylists `host` for `duration` (default `greylistMs`) after `code`, and says so on `'greylisted'`. */
  private greylist(host: string, code: string, reason: string, option: Greylisting['option'], duration = this.options.greylistMs ?? 60_000): void {
    // 0 turns greylisting off: the entry expires at once, and nothing is announced.
    if (duration <= 0) return;
    const now = Date.now();
    this.bannedAddresses.greylist(host, duration, now, code);
    if (this.listenerCount('greylisted') > 0) this.emit('greylisted', { address: host, code, reason, until: now + duration, option });
  }

  /** The `'refused'` event of a connection the policy nacked or closed after authentication. */
  private policyRefusal(info: ConnectionInfo<Meta>, code: Refusal['code'], reason: string, motive: number | undefined, byHook: boolean): void {
    if (this.listenerCount('refused') === 0) return;
    this.emit('refused', {
      address: info.idPoint.host,
      port: info.remoteSocketPort,
      direction: info.incoming ? 'incoming' : 'outgoing',
      peerId: info.peerId,
      code,
      reason,
      option: byHook ? 'policy' : refusalOption(code, motive, false),
      motive,
      until: undefined,
    });
  }

  /**
   * Runs one connection's lifecycle up to established (connection-lifecycle.ts): authenticate,
   * policy, then accept or nack. Every failure is counted once (greylisting as protocol.md §10.2
   * says) and rejects this connection only.
   */
  private async establish(lifecycle: ConnectionLifecycle, host: string, start: () => Attempt<Meta>): Promise<Connection<Msg, Meta>> {
    this.opening.add(lifecycle);
    try {
      let attempt: Attempt<Meta> | undefined;
      const auth = await lifecycle.step(
        lifecycle.state,
        () => (attempt = start()).authenticated,
        () => attempt?.abandon(),
        () => attempt?.waitingFor() ?? 'the handshake did not start',
      );
      let conn: Connection<Msg, Meta>;
      try {
        conn = await this.decide(auth, lifecycle);
      } catch (error) {
        // Whatever failed after authentication (a hook, a nack, accept), the socket goes with it.
        void auth.close().catch(() => undefined);
        throw error;
      }
      lifecycle.established();
      return conn;
    } catch (error) {
      if (!this.counted.has(error as object)) this.countFailure(error, host);
      throw error;
    } finally {
      lifecycle.closed();
      this.opening.delete(lifecycle);
    }
  }

  /** Policy, then accept / nack / close; registers the connection (protocol.md §11.2). */
  private async decide(auth: AuthenticatedConnection<Meta>, lifecycle: ConnectionLifecycle): Promise<Connection<Msg, Meta>> {
    const { info } = auth;
    // Every failure below closes `auth` in `establish`; `close` is what a deadline or abort does mid-step.
    const close = (): void => void auth.close().catch(() => undefined);
    if (this.closed) throw new PoolClosedError();
    let decision: PolicyDecision = defaultPolicy(info, this.view());
    let byHook = false;
    const hook = this.options.policy;
    if (decision.action === 'accept' && hook) {
      const accepted = decision;
      const hooked = await lifecycle.step('authenticated', () => this.runHook(hook, info, accepted), close);
      byHook = hooked !== undefined && hooked.action !== 'accept';
      decision = hooked ?? decision;
    }
    if (decision.action === 'close') {
      this.counted.add(decision.error);
      this.count(decision.error.code);
      this.policyRefusal(info, decision.error.code as Refusal['code'], decision.error.message, undefined, byHook);
      throw decision.error;
    }
    if (decision.action === 'nack') {
      const { motive } = decision;
      const points = nackablePoints(decision.points ?? []).slice(0, MAX_NACK_POINTS);
      // Counted and reported when decided: the peer may have read the Nack before sending it ends.
      this.counters.nacked++;
      const reason = decision.reason ?? (byHook ? `the policy hook nacked it with motive ${motiveName(motive)}` : `nacked with motive ${motiveName(motive)}`);
      const error = nackedError(motive, info, reason);
      this.counted.add(error);
      this.count(error.code);
      this.policyRefusal(info, error.code as Refusal['code'], error.message, motive, byHook);
      await lifecycle.step('closing', () => auth.nack(motive, points).catch(() => undefined), close);
      throw error;
    }
    this.addPeer(info.peerId, 1);
    this.accepting++;
    try {
      const options = {
        ...this.options.accept,
        pendingMessageBudget: this.pendingMessageBudget,
        codec: this.options.codec ?? (bytesCodec as unknown as MessageCodec<Msg>),
        negotiatedVersion: decision.version,
      };
      const conn = await lifecycle.step('accepting', () => auth.accept<Msg>(options), close);
      if (this.closed) {
        // The pool closed while this one was being accepted: it must not outlive the pool.
        void conn.close();
        throw new PoolClosedError();
      }
      this.register(conn);
      return conn;
    } catch (error) {
      this.addPeer(info.peerId, -1);
      throw error;
    } finally {
      this.accepting--;
    }
  }

  /** The user's hook; what it throws becomes this connection's POLICY_FAILED. */
  private async runHook(hook: PolicyHook<Meta>, info: ConnectionInfo<Meta>, decision: Extract<PolicyDecision, { action: 'accept' }>): Promise<PolicyDecision | undefined> {
    try {
      return await hook(info, decision);
    } catch (error) {
      throw new PolicyFailedError(`policy hook failed for ${info.peerId}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  /**
   * A listener whose promise rejected (EventEmitter's `captureRejections`): for `'connection'`,
   * that connection is closed, the reason recorded in its `closingReasons`, and the failure
   * counted as HANDLER_FAILED in `stats().errors`. Nothing reaches the event loop: a peer that
   * leaves while the handler writes must not stop the server.
   */
  [captureRejectionSymbol](error: unknown, event: unknown, ...args: unknown[]): void {
    this.count('HANDLER_FAILED');
    const conn = event === 'connection' ? args[0] : undefined;
    if (!this.active.has(conn as Connection<Msg, Meta>)) return;
    const failed = conn as Connection<Msg, Meta>;
    const reason = `'connection' handler failed: ${error instanceof Error ? error.message : String(error)}`;
    void failed.close({ reason }).catch(() => undefined);
  }

  /** Emits `'error'` if someone listens; counts it either way (see the class comment). */
  private report(error: Error): void {
    this.count(error instanceof P2pError ? error.code : ((error as { code?: string }).code ?? 'ERROR'));
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  private register(conn: Connection<Msg, Meta>): void {
    this.counters.accepted++;
    this.active.add(conn);
    void conn.ended.then(() => {
      const stat = conn.stat();
      const counts = conn.messageCounts;
      this.endedTraffic.totalSent += stat.totalSent;
      this.endedTraffic.totalRecv += stat.totalRecv;
      this.endedTraffic.messagesSent += counts.sent;
      this.endedTraffic.messagesReceived += counts.received;
      this.active.delete(conn);
      this.addPeer(conn.info.peerId, -1);
    });
  }

  private deliverIncoming(conn: Connection<Msg, Meta>): void {
    this.feeds.deliver(conn, this.listenerCount('connection') > 0);
    this.emit('connection', conn);
  }

  private addPeer(peerId: string, delta: number): void {
    const count = (this.peers.get(peerId) ?? 0) + delta;
    if (count <= 0) this.peers.delete(peerId);
    else this.peers.set(peerId, count);
  }

  private view(): PolicyView {
    return {
      versions: this.versions,
      activeConnections: this.active.size + this.accepting,
      maxConnections: this.maxConnections,
      isPeerConnected: (peerId) => !this.options.allowDuplicatePeers && this.peers.has(peerId),
      isPeerRefused: (peerId) => this.bannedPeers.refuses(peerId),
      privateMode: this.options.privateMode ?? false,
      isTrusted: (info) => this.trusted.has(info.peerId),
      alternativePoints: () => (this.options.disablePeerDiscovery ? [] : this.knownPoints()),
    };
  }

  /** Up to 50 public points (literal IPs) of connected peers that announced a listening port. */
  private knownPoints(): Point[] {
    const points: Point[] = [];
    for (const conn of this.active) {
      const { idPoint, privateNode } = conn.info;
      if (privateNode || idPoint.port === undefined) continue;
      points.push(...nackablePoints([{ host: idPoint.host, port: idPoint.port }]));
      if (points.length >= MAX_NACK_POINTS) break;
    }
    return points;
  }

  private countFailure(error: unknown, host: string): void {
    this.counters.failed++;
    if (!(error instanceof P2pError)) return;
    this.count(error.code);
    if (GREYLISTING_CODES.has(error.code)) this.greylist(host, error.code, `its handshake failed: ${error.message}`, 'greylistMs');
  }

  private count(code: string): void {
    this.errorCounts[code] = (this.errorCounts[code] ?? 0) + 1;
  }

  private assertOpen(): void {
    if (this.closed) throw new PoolClosedError();
  }
}
