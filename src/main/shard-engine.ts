/**
 * Sharded engine: connections live on worker threads (architecture.md §2). Main transfers each admitted
 * socket to the least-loaded shard (Node >= 24.20 can transfer sockets), or asks it to dial;
 * the shard authenticates and reports the peer; main's policy answers accept or nack. Each shard
 * is a ShardHandle (shard-handle.ts); each established connection is MessageQueues over a RingLink
 * through its shard's ShardRingLink.
 */
import type { ResourceLimits } from 'node:worker_threads';
import type { Socket } from 'node:net';
import { DecodingError, MyselfError, P2pError, PoolError } from '../shared/errors.ts';
import { decodeWith, type ConnectionInfo } from '../shared/session/handshake.ts';
import { publicBytes } from '../shared/session/long-lived-bytes.ts';
import type { WireInfo } from '../shared/shard/protocol.ts';
import { AuthenticatedConnection } from './authenticated-connection.ts';
import type { Attempt, HandshakeConfig, PoolEngine, ShardStats } from './pool-engine.ts';
import { MessageQueues } from './message-queues.ts';
import { RingLink } from './ring-link.ts';
import type { HandshakeBackend } from './session-backend.ts';
import { ShardHandle, type ShardRecord } from './shard-handle.ts';

const SHARD_URL = new URL(`../worker/shard${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/**
 * Test seam: the worker script a pool's shards run (a script that fails at start-up proves the
 * back-off). Not part of the public options.
 * @internal
 */
export const SHARD_SCRIPT = Symbol('p2p-socket.shardScript');

/**
 * Benchmark seam: `resourceLimits` for every shard's Worker (bench/load.ts measures shard memory
 * and ingest against `maxYoungGenerationSizeMb`). Not part of the public options.
 * @internal
 */
export const SHARD_RESOURCE_LIMITS = Symbol('p2p-socket.shardResourceLimits');

export interface ShardEngineOptions {
  readonly workers: number;
  /** Called when a shard kept dying at start-up and was given up. */
  readonly onShardFailed: (error: PoolError) => void;
  readonly script?: URL | undefined;
  readonly resourceLimits?: ResourceLimits | undefined;
}

export class ShardEngine<Meta> implements PoolEngine<Meta> {
  private readonly shards: ShardHandle[];
  private readonly config: HandshakeConfig<Meta>;

  constructor(config: HandshakeConfig<Meta>, options: ShardEngineOptions) {
    this.config = config;
    const shardConfig = {
      secretKey: config.identity.secretKey,
      proofOfWorkStamp: config.identity.proofOfWorkStamp,
      announcedVersion: config.announcedVersion,
      proofOfWorkDifficulty: config.proofOfWorkDifficulty,
      advertisedPort: config.advertisedPort,
      localMetadata: config.metadata.codec.encode(config.metadata.value),
      pendingMessages: config.pendingMessages,
      bandwidth: config.bandwidth,
    };
    const script = options.script ?? SHARD_URL;
    this.shards = Array.from({ length: options.workers }, (_, index) => new ShardHandle(index, shardConfig, script, options.onShardFailed, options.resourceLimits));
  }

  adopt(socket: Socket, timeout: number): Attempt<Meta> {
    const shard = this.leastLoaded();
    if (!shard) {
      socket.destroy();
      return failedAttempt(this.noShard());
    }
    let opened;
    try {
      opened = shard.adopt(socket, timeout);
    } catch (error) {
      socket.destroy(); // no stats slot left: refused before anything was sent
      return failedAttempt(error as P2pError);
    }
    return this.attempt(shard, opened);
  }

  dial(host: string, port: number, timeout: number): Attempt<Meta> {
    const shard = this.leastLoaded();
    if (!shard) return failedAttempt(this.noShard());
    return this.attempt(shard, shard.dial(host, port, timeout));
  }

  private attempt(shard: ShardHandle, { record, info }: { record: ShardRecord; info: Promise<WireInfo> }): Attempt<Meta> {
    return {
      authenticated: this.authenticated(shard, record, info),
      abandon: () => void shard.abandon(record),
      waitingFor: () => shard.waitingFor(record),
      received: () => shard.link.totals(record.id)[1],
    };
  }

  setAdvertisedPort(port: number): void {
    for (const shard of this.shards) shard.advertise(port);
  }

  shardStats(): ShardStats[] {
    return this.shards.map((shard) => shard.shardStats());
  }

  /** Resolves once every shard worker has started (not for a shard that keeps failing). */
  async ready(): Promise<void> {
    await Promise.all(this.shards.map((shard) => shard.ready));
  }

  /** Each shard's own count of its connections by lifecycle state. */
  shardCounts(): Promise<Array<Readonly<Record<string, number>>>> {
    return Promise.all(this.shards.map((shard) => shard.shardCounts()));
  }

  /** Each shard thread's own CPU time so far. */
  shardCpuUsage(): Promise<Array<NodeJS.CpuUsage | undefined>> {
    return Promise.all(this.shards.map((shard) => shard.cpuUsage()));
  }

  /** Terminates a shard as a crash would (tests, operators); it is replaced. */
  killShard(index: number): Promise<number> {
    const shard = this.shards[index];
    if (!shard) throw new RangeError(`no shard ${index}`);
    return shard.kill();
  }

  async close(wait: boolean): Promise<void> {
    await Promise.all(this.shards.map((shard) => shard.close(wait)));
  }

  private leastLoaded(): ShardHandle | undefined {
    let best: ShardHandle | undefined;
    for (const shard of this.shards) if (shard.usable && (!best || shard.load < best.load)) best = shard;
    return best;
  }

  private noShard(): PoolError {
    return new PoolError('SHARD_FAILED', 'no shard is running');
  }

  private async authenticated(shard: ShardHandle, record: ShardRecord, pending: Promise<WireInfo>): Promise<AuthenticatedConnection<Meta>> {
    const wire = await pending;
    let remoteMetadata: Meta;
    try {
      remoteMetadata = decodeWith(() => this.config.metadata.codec.decode(Buffer.from(wire.remoteMetadata)));
    } catch (error) {
      void shard.abandon(record);
      throw error instanceof P2pError ? error : new DecodingError('USER_FUNCTION', String(error));
    }
    // Step 8: Myself, after the metadata decoded, as inline (the shard leaves it to us: handshake.ts).
    if (wire.myself) {
      void shard.abandon(record);
      throw new MyselfError(wire.idPoint.host, wire.idPoint.port);
    }
    const info: ConnectionInfo<Meta> = {
      peerId: wire.peerId,
      publicKey: publicBytes.copy(wire.publicKey),
      announcedVersion: wire.announcedVersion,
      incoming: wire.incoming,
      // A literal of its own: the record that crossed from the shard keeps the slack of a
      // deserialized object (16 B more on every connection).
      idPoint: { host: wire.idPoint.host, port: wire.idPoint.port },
      remoteSocketPort: wire.remoteSocketPort,
      privateNode: this.config.metadata.privateNode(remoteMetadata),
      localMetadata: this.config.metadata.value,
      remoteMetadata,
    };
    return new AuthenticatedConnection(info, remoteHandshake(shard, record), this.config.announcedVersion);
  }
}

function failedAttempt<Meta>(error: P2pError): Attempt<Meta> {
  return { authenticated: Promise.reject(error), abandon: () => undefined, waitingFor: () => error.message, received: () => 0 };
}

function remoteHandshake(shard: ShardHandle, record: ShardRecord): HandshakeBackend {
  return {
    accept: async (limits, watch) => {
      const link = new RingLink(record.id, shard.link);
      const queues = new MessageQueues(link, limits);
      await watch(shard.accept(record, link, limits.incomingQueueSize, limits.maxMessageSize));
      return queues;
    },
    nack: (motive, points) => shard.nack(record, motive, points),
    close: () => shard.abandon(record),
  };
}
