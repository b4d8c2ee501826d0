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

/** What every handshake of a pool shares. */
export interface HandshakeConfig<Meta> {
  readonly identity: Identity;
  readonly announcedVersion: NetworkVersion;
  readonly metadata: MetadataConfig<Meta>;
  readonly proofOfWorkDifficulty: number;
  readonly advertisedPort?: number | undefined;
  /** The pool's pending-message budget and message timeout, for shards (pending-message-budget.ts). */
  readonly pendingMessages?: PendingMessagesConfig | undefined;
}

export interface ShardStats {
  readonly shard: number;
  readonly connections: number;
  readonly alive: boolean;
  readonly restarts: number;
  /** Messages and body bytes delivered from this shard, and messages and layout bytes it wrote. */
  readonly messagesIn: number;
  readonly bytesIn: number;
  readonly messagesOut: number;
  readonly bytesOut: number;
}

export interface PoolEngine<Meta> {
  /** Authenticates an accepted socket (fresh, paused, nothing read). */
  adopt(socket: Socket, timeout: number): Promise<AuthenticatedConnection<Meta>>;
  /** Dials and authenticates. */
  dial(host: string, port: number, timeout: number, signal?: AbortSignal): Promise<AuthenticatedConnection<Meta>>;
  /** Called when the listening port is known, so later handshakes advertise it. */
  setAdvertisedPort(port: number): void;
  shardStats(): ShardStats[];
  close(): Promise<void>;
}

export class InlineEngine<Meta> implements PoolEngine<Meta> {
  private config: HandshakeConfig<Meta>;

  constructor(config: HandshakeConfig<Meta>) {
    this.config = config;
  }

  adopt(socket: Socket, timeout: number): Promise<AuthenticatedConnection<Meta>> {
    return authenticate(socket, { ...this.config, incoming: true, timeout });
  }

  dial(host: string, port: number, timeout: number, signal?: AbortSignal): Promise<AuthenticatedConnection<Meta>> {
    return connect(host, port, { ...this.config, timeout, ...(signal ? { signal } : {}) });
  }

  setAdvertisedPort(port: number): void {
    this.config = { ...this.config, advertisedPort: this.config.advertisedPort ?? port };
  }

  shardStats(): ShardStats[] {
    return [];
  }

  async close(): Promise<void> {}
}
