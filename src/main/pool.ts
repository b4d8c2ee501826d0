/**
 * A pool of peer connections: listens and dials, runs the accept policy on the main thread, and
 * keeps the global view (connection count, which peers are connected on any shard, bans).
 * `workers: 0` runs every connection on the main thread; `workers: N` shards them over worker
 * threads that own the sockets (architecture.md §2).
 */
import { captureRejectionSymbol, EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { P2pError, PointBannedError, PoolClosedError, TimeoutError, TooManyConnectionsError } from '../shared/errors.ts';
import type { Identity } from '../shared/identity.ts';
import { NODE_DISTRIBUTED_DB_VERSIONS, NODE_P2P_VERSIONS, type LocalVersions } from '../shared/wire/network-version.ts';
import { canonicalHost, type Point } from '../shared/wire/point.ts';
import { AddressList } from './address-list.ts';
import { socketHost } from '../shared/session/transport.ts';
import type { Connection } from './connection.ts';
import { BroadcastBatch, type BroadcastResult } from './broadcast-batch.ts';
import { DEFAULT_MAX_PENDING_MESSAGE_BYTES, PendingMessageBudget } from '../shared/session/pending-message-budget.ts';
import { ConnectionLifecycle } from './connection-lifecycle.ts';
import { ConnectionRegistry } from './connection-registry.ts';
import { Establisher } from './establish.ts';
import { createEngine, type Attempt, type PoolEngine } from './pool-engine.ts';
import type { PoolEvents } from './pool-events.ts';
import type { PoolOptions } from './pool-options.ts';
import { PoolRefusals } from './pool-refusals.ts';
import { PoolTally, type PoolStats } from './pool-stats.ts';
import { ShardEngine } from './shard-engine.ts';
import { defaultMaxPerAddress, defaultMinIdleMs, HandshakeAdmission } from './handshake-admission.ts';
import { METRICS_CONTENT_TYPE, PoolMetrics } from './pool-metrics.ts';
import { PoolListeners } from './pool-listeners.ts';
import type { PoolServer } from './pool-server.ts';
import { callSite, withCallSite } from './call-site.ts';
import { BandwidthCoordinator } from './bandwidth-coordinator.ts';
import { validateCloseOptions, validateDial, validateListenOptions, validatePoolOptions, validateSignalOption } from './validate-options.ts';
import { ConnectionFeeds } from './connection-feed.ts';

export type { PoolEvents } from './pool-events.ts';
export type { PoolOptions } from './pool-options.ts';
export type { PoolStats } from './pool-stats.ts';

/**
 * A pool of peer connections; its events are PoolEvents (pool-events.ts). The parts it delegates
 * to: the accept run (establish.ts), the connection registry (connection-registry.ts), its
 * tallies (pool-stats.ts) and refusals (pool-refusals.ts), and the engine that holds the sockets
 * (pool-engine.ts, shard-engine.ts).
 */
export class Pool<Msg = Uint8Array, Meta = unknown> extends EventEmitter<PoolEvents<Msg, Meta>> {
  readonly identity: Identity;
  private readonly options: PoolOptions<Msg, Meta>;
  private readonly engine: PoolEngine<Meta>;
  private readonly servers = new PoolListeners({
    onSocket: (socket) => this.admit(socket),
    onError: (error) => this.report(error),
    isClosed: () => this.closed,
  });
  private readonly registry = new ConnectionRegistry<Msg, Meta>(
    (conn) => this.tally.ended(conn),
    ({ error }) => {
      // A stream that failed after the handshake (DECIPHER_ERROR, TIMEOUT …) counts as a handshake's
      // failure does; a peer's orderly end or reset (CONNECTION_CLOSED) is no failure.
      if (error !== undefined && error.code !== 'CONNECTION_CLOSED') this.tally.count(error.code);
    },
  );
  readonly bannedAddresses = new AddressList();
  readonly bannedPeers = new AddressList();
  private readonly admission: HandshakeAdmission;
  private readonly pendingMessageBudget: PendingMessageBudget;
  private readonly tally = new PoolTally();
  private readonly refusals: PoolRefusals;
  private readonly establisher: Establisher<Msg, Meta>;
  private closed = false;
  /** The engine serves (shard workers started): handshakes admitted before waited for it. */
  private engineReady = false;
  private metricsRegistry: Promise<PoolMetrics> | undefined;
  private readonly bandwidth: BandwidthCoordinator | undefined;
  private readonly feeds = new ConnectionFeeds<Connection<Msg, Meta>>(() => this.establisher.maxConnections);

  constructor(options: PoolOptions<Msg, Meta>) {
    // A listener whose promise rejects comes to `captureRejectionSymbol`, not the event loop.
    super({ captureRejections: true });
    validatePoolOptions(options);
    this.options = options;
    this.identity = options.identity;
    const versions: LocalVersions = {
      chainName: options.chainName,
      distributedDbVersions: [...(options.distributedDbVersions ?? NODE_DISTRIBUTED_DB_VERSIONS)],
      p2pVersions: [...(options.p2pVersions ?? NODE_P2P_VERSIONS)],
    };
    const maxHandshakes = options.maxIncomingHandshakes ?? 20;
    this.admission = new HandshakeAdmission({
      maxHandshakes,
      maxPerAddress: options.maxIncomingHandshakesPerAddress ?? defaultMaxPerAddress(maxHandshakes),
      maxTimeouts: options.maxHandshakeTimeouts ?? 3,
      minIdleMs: defaultMinIdleMs(options.handshakeTimeout ?? 5000),
    });
    const workers = options.workers ?? availableParallelism();
    // Main charges as thread 0 (workers: 0), shard i as thread i + 1.
    this.pendingMessageBudget = new PendingMessageBudget(options.maxPendingMessageBytes ?? DEFAULT_MAX_PENDING_MESSAGE_BYTES, 1 + workers);
    this.bandwidth = BandwidthCoordinator.create(options, Math.max(1, workers));
    const pendingMessageBudget = this.pendingMessageBudget;
    this.engine = createEngine(options, workers, { versions, pendingMessageBudget, bandwidth: this.bandwidth?.config, onShardFailed: (error) => this.report(error) });
    void this.engine.ready().then(() => (this.engineReady = true));
    this.refusals = new PoolRefusals(
      {
        listens: (event) => this.listenerCount(event) > 0,
        refused: (refusal) => this.emit('refused', refusal),
        greylisted: (greylisting) => this.emit('greylisted', greylisting),
      },
      this.bannedAddresses,
      this.admission,
      options.greylistMs ?? 60_000,
    );
    const isClosed = (): boolean => this.closed;
    const { registry, tally, bannedPeers, refusals } = this;
    this.establisher = new Establisher({ options, versions, registry, tally, refusals, bannedPeers, pendingMessageBudget, isClosed });
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
    const listener = await this.servers.listen(options);
    this.engine.setAdvertisedPort(listener.port);
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
    if (this.registry.taken >= this.establisher.maxConnections) {
      throw new TooManyConnectionsError(`already ${this.registry.active.size} connections and ${this.registry.accepting} being accepted`);
    }
    this.tally.counters.outgoing++;
    // One deadline for dial, authenticate and accept (OCaml's connection_timeout, protocol.md §11.4).
    const timeout = this.options.connectTimeout ?? 10_000;
    const lifecycle = new ConnectionLifecycle(false, timeout, options.signal);
    try {
      return await this.establisher.establish(lifecycle, host, () => this.engine.dial(host, point.port, timeout));
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
    return this.registry.active.size;
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
    const durationMs = options.durationMs ?? this.refusals.greylistMs;
    const code = options.code ?? 'DECODING_ERROR';
    if (target.address) this.refusals.greylist(canonicalHost(target.address) ?? target.address, code, `${code} (pool.greylistPeer)`, 'greylistMs', durationMs);
    if (target.peerId) this.bannedPeers.greylist(target.peerId, durationMs, Date.now(), code);
  }

  /**
   * Resolves once every shard worker has started (inline: at once). Handshakes admitted before
   * that wait for their shard, and their deadline runs meanwhile (their timeouts do not count
   * towards `maxHandshakeTimeouts`).
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
    const live = { handshakesInFlight: this.admission.inFlight, pendingMessageBytes: this.pendingMessageBudget.used, shards: this.engine.shardStats() };
    return this.tally.stats(this.registry.active, live);
  }

  /**
   * Sends `message` to `connections` (default: every established one): encoded once, and with
   * shards, carried to each shard once for all its connections, each of which seals its own copy
   * (architecture.md §3). Each connection queues or drops it as `writeNow` would (a full outgoing
   * queue drops; `'drain'` follows); a closed connection counts as dropped. Throws ENCODING_ERROR
   * before queueing anything when the message does not encode.
   */
  broadcast(message: Msg, connections: Iterable<Connection<Msg, Meta>> = this.registry.active): BroadcastResult {
    const batch = new BroadcastBatch(message);
    for (const conn of connections) conn.joinBroadcast(batch);
    const { queued, dropped, ringBytes } = batch.flush();
    this.tally.broadcasts.messages++;
    this.tally.broadcasts.ringBytes += ringBytes;
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
    this.servers.closeAll();
    for (const lifecycle of this.establisher.opening) lifecycle.stop(new PoolClosedError());
    const closeOptions = { wait: options.wait ?? false, reason: 'pool closed', ...(options.signal ? { signal: options.signal } : {}), ...(options.timeout === undefined ? {} : { timeout: options.timeout }) };
    const closing = await Promise.allSettled([...this.registry.active].map((conn) => conn.close(closeOptions)));
    const aborted = closing.find((result) => result.status === 'rejected');
    this.feeds.end();
    await this.engine.close(options.wait ?? false);
    // Last: closing with `wait` drains queued messages under the limits.
    this.bandwidth?.close();
    if (aborted) throw aborted.reason;
  }

  /** Pre-handshake admission on main (protocol.md §11.4), then authentication on the engine. */
  private admit(socket: Socket): void {
    const host = socketHost(socket);
    const port = socket.remotePort;
    // No closure below names `socket`: a sharded engine's transfer leaves main an empty shell of it
    // (~1.6 KB in dictionary mode), which the handshake's closures would keep until it ends.
    let unadopted: Socket | undefined = socket;
    let lifecycle: ConnectionLifecycle | undefined;
    let attempt: Attempt<Meta> | undefined;
    // What admission may look at to evict this handshake for a newcomer (handshake-admission.ts).
    const admitted = {
      received: () => attempt?.received() ?? 0,
      waitingOnPeer: () => lifecycle?.state === 'handshaking' || lifecycle?.state === 'accepting',
      evict: (reason: string) => {
        lifecycle?.stop(new TimeoutError(reason));
        this.refusals.evicted(host, port, reason);
      },
    };
    const slot = this.closed
      ? 'POOL_CLOSED'
      : this.bannedAddresses.refuses(host)
        ? 'POINT_BANNED'
        : this.admission.admit(host, admitted);
    if (typeof slot === 'string') {
      // Closed at once, nothing sent (protocol.md §11.4).
      socket.destroy();
      this.tally.count(slot);
      this.refusals.admissionRefused(slot, host, port);
      return;
    }
    slot.beforeEngineReady = !this.engineReady;
    this.tally.counters.incoming++;
    // One deadline for authenticate, the policy and accept (protocol.md §11.4).
    const timeout = this.options.handshakeTimeout ?? 5000;
    lifecycle = new ConnectionLifecycle(true, timeout);
    let outcome: string | undefined;
    const adopt = (): Attempt<Meta> => {
      const adopted = unadopted!;
      unadopted = undefined;
      return (attempt = this.engine.adopt(adopted, timeout, host));
    };
    this.establisher.establish(lifecycle, host, adopt)
      .then(
        (conn) => this.deliverIncoming(conn),
        // Counted in `establish`; the connection's failure is its own.
        (error: unknown) => void (outcome = error instanceof P2pError ? error.code : 'UNTYPED'),
      )
      .finally(() => {
        // Repeated stalls greylist the address as a failed handshake does (handshake-admission.ts).
        if (this.admission.release(slot, outcome)) {
          this.refusals.greylist(host, 'TIMEOUT', `${this.options.maxHandshakeTimeouts ?? 3} incoming handshakes in a row timed out or were evicted (maxHandshakeTimeouts)`, 'maxHandshakeTimeouts');
        }
      });
  }

  /**
   * A listener whose promise rejected (EventEmitter's `captureRejections`): for `'connection'`,
   * that connection is closed, the reason recorded in its `closingReasons`, and the failure
   * counted as HANDLER_FAILED in `stats().errors`. Nothing reaches the event loop: a peer that
   * leaves while the handler writes must not stop the server.
   */
  [captureRejectionSymbol](error: unknown, event: unknown, ...args: unknown[]): void {
    this.tally.count('HANDLER_FAILED');
    const conn = event === 'connection' ? args[0] : undefined;
    if (!this.registry.active.has(conn as Connection<Msg, Meta>)) return;
    const failed = conn as Connection<Msg, Meta>;
    const reason = `'connection' handler failed: ${error instanceof Error ? error.message : String(error)}`;
    void failed.close({ reason }).catch(() => undefined);
  }

  /** Emits `'error'` if someone listens; counts it either way (see the class comment). */
  private report(error: Error): void {
    this.tally.count(error instanceof P2pError ? error.code : ((error as { code?: string }).code ?? 'ERROR'));
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  private deliverIncoming(conn: Connection<Msg, Meta>): void {
    this.feeds.deliver(conn, this.listenerCount('connection') > 0);
    this.emit('connection', conn);
  }

  private assertOpen(): void {
    if (this.closed) throw new PoolClosedError();
  }
}
