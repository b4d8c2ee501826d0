/**
 * Where a pool's connections live: on the main thread (`InlineEngine`, `workers: 0`) or on shard
 * workers (`ShardEngine`). Both hand back the same AuthenticatedConnection, so the pool and its
 * users do not care which.
 */
import { forgetPeerName } from '../shared/session/peer-name-cache.ts';
import type { Socket } from 'node:net';
import type { Identity } from '../shared/identity.ts';
import type { PendingMessagesConfig } from '../shared/session/pending-message-budget.ts';
import type { MetadataConfig } from '../shared/wire/metadata.ts';
import type { NetworkVersion } from '../shared/wire/network-version.ts';
import type { AuthenticatedConnection } from './authenticated-connection.ts';
import { AbortedError } from '../shared/errors.ts';
import { IO_SCHEDULER, OPTIONS_CHECKED, startAuthentication, type StartedAuthentication } from './authenticate.ts';
import { startConnect, type ConnectOptions } from './connect.ts';
import { HandshakeProgress } from '../shared/session/handshake-progress.ts';
import { IoScheduler, type BandwidthConfig } from '../shared/session/io-scheduler.ts';
import type { PendingMessageBudget } from '../shared/session/pending-message-budget.ts';
import { announcedVersion, type LocalVersions } from '../shared/wire/network-version.ts';
import type { PoolError } from '../shared/errors.ts';
import { DEFAULT_MESSAGE_TIMEOUT, DEFAULT_POW_DIFFICULTY } from './options.ts';
import type { PoolOptions } from './pool-options.ts';
import { SHARD_RESOURCE_LIMITS, SHARD_SCRIPT, ShardEngine } from './shard-engine.ts';

/** What every handshake of a pool shares. */
export interface HandshakeConfig<Meta> {
  readonly identity: Identity;
  readonly announcedVersion: NetworkVersion;
  readonly metadata: MetadataConfig<Meta>;
  readonly proofOfWorkDifficulty: number;
  readonly advertisedPort?: number | undefined;
  /** The pool's pending-message budget and message timeout, for shards (pending-message-budget.ts). */
  readonly pendingMessages?: PendingMessagesConfig | undefined;
  /** The pool's bandwidth table when it limits a direction (bandwidth-coordinator.ts). */
  readonly bandwidth?: BandwidthConfig | undefined;
}

export interface ShardStats {
  readonly shard: number;
  /** Established connections on this shard, and how many of them the peer opened. */
  readonly connections: number;
  readonly connectionsByDirection: { readonly incoming: number; readonly outgoing: number };
  /** Connections on this shard not (yet) established: dialing, handshaking, awaiting the policy, accepting, closing. */
  readonly handshakes: number;
  readonly alive: boolean;
  readonly restarts: number;
  /** Messages and body bytes delivered from this shard, and messages and layout bytes it wrote. */
  readonly messagesIn: number;
  readonly bytesIn: number;
  readonly messagesOut: number;
  readonly bytesOut: number;
  /** Bytes waiting in the shard → main and main → shard rings, and records main could not yet put in the latter. */
  readonly ringFromShardBytes: number;
  readonly ringToShardBytes: number;
  readonly ringToShardBacklog: number;
  /** Doorbell messages main posted to this shard and received from it (ring wake-ups). */
  readonly doorbellsSent: number;
  readonly doorbellsReceived: number;
}

/** A connection being opened: its authentication, and how to abandon it in any state before. */
export interface Attempt<Meta> {
  readonly authenticated: Promise<AuthenticatedConnection<Meta>>;
  /** Closes the socket whatever step it is in; `authenticated` then rejects (if still pending). */
  abandon(): void;
  /** What the handshake is waiting for (dial, connection message, metadata), for a TIMEOUT's message. */
  waitingFor(): string | Promise<string>;
  /** Bytes received from the peer so far (sharded: as the shard last published them), for handshake eviction. */
  received(): number;
}

export interface PoolEngine<Meta> {
  /**
   * Authenticates an accepted socket (fresh, paused, nothing read) from `host` (its canonical
   * address, which the pool's admission already read). `timeout` bounds everything until
   * established; the pool enforces it too (connection-lifecycle.ts), a shard as a backstop.
   */
  adopt(socket: Socket, timeout: number, host: string): Attempt<Meta>;
  /** Dials and authenticates. */
  dial(host: string, port: number, timeout: number): Attempt<Meta>;
  /** Called when the listening port is known, so later handshakes advertise it. */
  setAdvertisedPort(port: number): void;
  shardStats(): ShardStats[];
  /** Resolves once the engine can serve (shard workers started). */
  ready(): Promise<void>;
  /** Closes what the engine still holds (with `wait`, queued messages are sent first). */
  close(wait: boolean): Promise<void>;
}

function attemptOf<Meta>(started: StartedAuthentication<Meta>, progress: HandshakeProgress): Attempt<Meta> {
  return {
    authenticated: started.authenticated,
    abandon: () => started.stop(new AbortedError()),
    waitingFor: () => progress.waitingFor(),
    received: () => progress.received,
  };
}

export class InlineEngine<Meta> implements PoolEngine<Meta> {
  private config: HandshakeConfig<Meta>;
  /** The main thread is the only regulated thread (index 0) of an inline pool. */
  private readonly io: IoScheduler | undefined;
  /** Every handshake's options, made once (and again when the advertised port is known). */
  private options: ConnectOptions<Meta>;

  constructor(config: HandshakeConfig<Meta>) {
    this.config = config;
    this.io = config.bandwidth && new IoScheduler(config.bandwidth, 0);
    this.options = this.optionsOf(config);
  }

  private optionsOf(config: HandshakeConfig<Meta>): ConnectOptions<Meta> {
    return { ...config, [IO_SCHEDULER]: this.io, [OPTIONS_CHECKED]: true };
  }

  /**
   * The pool's connection lifecycle is the deadline (connection-lifecycle.ts): on this thread it
   * fires `abandon`, so the handshake gets no timer, AbortController or listener of its own
   * (`startAuthentication`); `timeout` is for engines whose sockets live on another thread.
   */
  adopt(socket: Socket, _timeout: number, host: string): Attempt<Meta> {
    const progress = new HandshakeProgress();
    const started = startAuthentication(socket, this.options, { incoming: true, host }, progress);
    forgetPeerName(socket); // read by admission and the handshake's start, kept by them
    return attemptOf(started, progress);
  }

  dial(host: string, port: number, _timeout: number): Attempt<Meta> {
    const progress = new HandshakeProgress(`${host}:${port}`);
    return attemptOf(startConnect(host, port, this.options, progress), progress);
  }

  setAdvertisedPort(port: number): void {
    this.config = { ...this.config, advertisedPort: this.config.advertisedPort ?? port };
    this.options = this.optionsOf(this.config);
  }

  shardStats(): ShardStats[] {
    return [];
  }

  async ready(): Promise<void> {}

  async close(_wait: boolean): Promise<void> {}
}

/** What a pool's engine shares with the pool: its versions, its pending-message budget, its bandwidth table. */
export interface EngineParts {
  readonly versions: LocalVersions;
  readonly pendingMessageBudget: PendingMessageBudget;
  readonly bandwidth: BandwidthConfig | undefined;
  /** Called when a shard kept dying at start-up and was given up. */
  readonly onShardFailed: (error: PoolError) => void;
}

/** The engine `workers` asks for (0: inline), with the handshake settings every connection shares. */
export function createEngine<Msg, Meta>(options: PoolOptions<Msg, Meta>, workers: number, parts: EngineParts): PoolEngine<Meta> {
  const config: HandshakeConfig<Meta> = {
    identity: options.identity,
    announcedVersion: announcedVersion(parts.versions),
    metadata: options.metadata,
    proofOfWorkDifficulty: options.proofOfWorkDifficulty ?? DEFAULT_POW_DIFFICULTY,
    advertisedPort: options.advertisedPort,
    pendingMessages: { budget: parts.pendingMessageBudget.buffer, messageTimeout: options.accept?.messageTimeout ?? DEFAULT_MESSAGE_TIMEOUT },
    bandwidth: parts.bandwidth,
  };
  return workers === 0 ? new InlineEngine(config) : new ShardEngine(config, { workers, script: options[SHARD_SCRIPT], resourceLimits: options[SHARD_RESOURCE_LIMITS], onShardFailed: parts.onShardFailed });
}
