/**
 * Where a pool's connections live: on the main thread (`InlineEngine`, `workers: 0`) or on shard
 * workers (`ShardEngine`). Both hand back the same AuthenticatedConnection, so the pool and its
 * users do not care which.
 */
import type { Socket } from 'node:net';
import type { Identity } from '../shared/identity.ts';
import type { PendingMessagesConfig } from '../shared/session/pending-message-budget.ts';
import type { MetadataConfig } from '../shared/wire/metadata.ts';
import type { NetworkVersion } from '../shared/wire/network-version.ts';
import type { AuthenticatedConnection } from './authenticated-connection.ts';
import { authenticate } from './authenticate.ts';
import { connect } from './connect.ts';
import { HANDSHAKE_PROGRESS, HandshakeProgress } from '../shared/session/handshake-progress.ts';
import { IoScheduler, type BandwidthConfig } from '../shared/session/io-scheduler.ts';
import { IO_SCHEDULER, OPTIONS_CHECKED } from './authenticate.ts';

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
}

export interface PoolEngine<Meta> {
  /**
   * Authenticates an accepted socket (fresh, paused, nothing read). `timeout` bounds everything
   * until established; the pool enforces it too (connection-lifecycle.ts), the engine as a backstop.
   */
  adopt(socket: Socket, timeout: number): Attempt<Meta>;
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

export class InlineEngine<Meta> implements PoolEngine<Meta> {
  private config: HandshakeConfig<Meta>;
  /** The main thread is the only regulated thread (index 0) of an inline pool. */
  private readonly io: IoScheduler | undefined;

  constructor(config: HandshakeConfig<Meta>) {
    this.config = config;
    this.io = config.bandwidth && new IoScheduler(config.bandwidth, 0);
  }

  adopt(socket: Socket, timeout: number): Attempt<Meta> {
    const controller = new AbortController();
    const progress = new HandshakeProgress();
    return {
      authenticated: authenticate(socket, { ...this.config, incoming: true, timeout, signal: controller.signal, [HANDSHAKE_PROGRESS]: progress, [IO_SCHEDULER]: this.io, [OPTIONS_CHECKED]: true }),
      abandon: () => controller.abort(),
      waitingFor: () => progress.waitingFor(),
    };
  }

  dial(host: string, port: number, timeout: number): Attempt<Meta> {
    const controller = new AbortController();
    const progress = new HandshakeProgress(`${host}:${port}`);
    return {
      authenticated: connect(host, port, { ...this.config, timeout, signal: controller.signal, [HANDSHAKE_PROGRESS]: progress, [IO_SCHEDULER]: this.io, [OPTIONS_CHECKED]: true }),
      abandon: () => controller.abort(),
      waitingFor: () => progress.waitingFor(),
    };
  }

  setAdvertisedPort(port: number): void {
    this.config = { ...this.config, advertisedPort: this.config.advertisedPort ?? port };
  }

  shardStats(): ShardStats[] {
    return [];
  }

  async ready(): Promise<void> {}

  async close(_wait: boolean): Promise<void> {}
}
