/**
 * Sharded engine: connections live on worker threads (architecture.md §2). Main transfers each admitted
 * socket to the least-loaded shard (Node >= 24.20 can transfer sockets), or asks it to dial;
 * the shard authenticates and reports the peer; main's policy answers accept or nack.
 */
import type { Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import { DecodingError, P2pError, PoolError, errorFromRecord } from '../shared/errors.ts';
import { ConsumerPump } from '../shared/ring/pump.ts';
import { createRingBuffer, RingConsumer } from '../shared/ring/record-ring.ts';
import { HEADER_LENGTH } from '../shared/session/chunk-layout.ts';
import { decodeWith, type ConnectionInfo } from '../shared/session/handshake.ts';
import { Outbox } from '../shared/shard/outbox.ts';
import { RECORD, STAT_SLOTS, type MainToShard, type ShardConfig, type ShardToMain, type WireInfo } from '../shared/shard/protocol.ts';
import { AuthenticatedConnection } from './authenticated-connection.ts';
import type { HandshakeConfig, PoolEngine, ShardStats } from './pool-engine.ts';
import { RemoteSession, type ShardLink } from './remote-session.ts';
import type { HandshakeBackend } from './session-backend.ts';

/** Ring data area per direction per shard. 1 MiB holds ~15 full chunks of layouts in flight. */
const RING_CAPACITY = 1 << 20;

const SHARD_URL = new URL(`../worker/shard${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

interface Pending<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: P2pError) => void;
}

let nextConnectionId = 1;

/** One shard worker and its rings, as main sees it. */
class ShardHandle implements ShardLink {
  readonly index: number;
  restarts = 0;
  private readonly traffic = { messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0 };
  private worker!: Worker;
  private outbox!: Outbox;
  private pump!: ConsumerPump;
  private stats!: Float64Array;
  private alive = false;
  private readonly handshakes = new Map<number, Pending<WireInfo>>();
  private readonly accepts = new Map<number, Pending<void>>();
  private readonly nacks = new Map<number, Pending<void>>();
  readonly sessions = new Map<number, RemoteSession>();
  private readonly config: Omit<ShardConfig, 'index' | 'inbound' | 'outbound' | 'stats'>;
  private closing = false;

  constructor(index: number, config: Omit<ShardConfig, 'index' | 'inbound' | 'outbound' | 'stats'>) {
    this.index = index;
    this.config = config;
    this.start();
  }

  /** Connections and handshakes on this shard: what "least loaded" compares. */
  get load(): number {
    return this.sessions.size + this.handshakes.size + this.accepts.size;
  }

  shardStats(): ShardStats {
    return { shard: this.index, connections: this.sessions.size, alive: this.alive, restarts: this.restarts, ...this.traffic };
  }

  private start(): void {
    const inbound = createRingBuffer(RING_CAPACITY);
    const outbound = createRingBuffer(RING_CAPACITY);
    const statsBuffer = new SharedArrayBuffer(STAT_SLOTS * 2 * Float64Array.BYTES_PER_ELEMENT);
    this.stats = new Float64Array(statsBuffer);
    const worker = new Worker(SHARD_URL, { workerData: { ...this.config, index: this.index, inbound, outbound, stats: statsBuffer } satisfies ShardConfig });
    this.worker = worker;
    this.alive = true;
    this.outbox = new Outbox(inbound, () => this.post({ t: 'bell' }));
    this.pump = new ConsumerPump(new RingConsumer(outbound), {
      visit: (id, kind, payload) => this.onRecord(id, kind, payload),
      onSpace: () => this.post({ t: 'space' }),
    });
    worker.on('message', (message: ShardToMain) => this.onMessage(message));
    worker.on('error', () => undefined); // 'exit' follows and does the work
    worker.on('exit', () => {
      if (this.worker === worker) this.onExit();
    });
  }

  /** A dead shard ends its own connections with SHARD_FAILED and is replaced (architecture.md §4). */
  private onExit(): void {
    this.alive = false;
    const error = (): PoolError => new PoolError('SHARD_FAILED', `shard ${this.index} stopped`);
    for (const [, pending] of this.handshakes) pending.reject(error());
    for (const [, pending] of this.accepts) pending.reject(error());
    for (const [, pending] of this.nacks) pending.resolve();
    for (const [, session] of this.sessions) session.onEnded(error());
    this.handshakes.clear();
    this.accepts.clear();
    this.nacks.clear();
    this.sessions.clear();
    if (!this.closing) {
      this.restarts++;
      this.start();
    }
  }

  /** For tests and operators: stop the worker as a crash would. */
  kill(): Promise<number> {
    return this.worker.terminate();
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }

  post(message: MainToShard, transfer?: readonly unknown[]): void {
    if (!this.alive) return;
    this.worker.postMessage(message, transfer as never);
  }

  // ------------------------------------------------------------ requests

  adopt(socket: Socket, timeout: number): { id: number; info: Promise<WireInfo> } {
    const id = nextConnectionId++;
    const info = new Promise<WireInfo>((resolve, reject) => this.handshakes.set(id, { resolve, reject }));
    this.post({ t: 'adopt', id, socket, timeout }, [socket]);
    return { id, info };
  }

  dial(host: string, port: number, timeout: number): { id: number; info: Promise<WireInfo> } {
    const id = nextConnectionId++;
    const info = new Promise<WireInfo>((resolve, reject) => this.handshakes.set(id, { resolve, reject }));
    this.post({ t: 'dial', id, host, port, timeout });
    return { id, info };
  }

  accept(id: number, session: RemoteSession, incomingQueueSize: number, maxMessageSize: number): Promise<void> {
    this.sessions.set(id, session);
    const done = new Promise<void>((resolve, reject) => this.accepts.set(id, { resolve, reject }));
    this.post({ t: 'accept', id, limits: { incomingQueueSize, maxMessageSize }, timeout: undefined });
    return done.catch((error: unknown) => {
      this.sessions.delete(id);
      throw error;
    });
  }

  nack(id: number, motive: number, points: readonly { host: string; port: number }[]): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.nacks.set(id, { resolve, reject }));
    this.post({ t: 'nack', id, motive, points: points.map((p) => ({ host: p.host, port: p.port })) });
    return done;
  }

  abandon(id: number): void {
    this.post({ t: 'abandon', id });
  }

  // ------------------------------------------------------------ ShardLink

  /** Cuts a layout at chunk boundaries into records the ring can carry. */
  sendLayout(id: number, layout: Buffer): void {
    const max = this.outbox.maxPayload;
    let start = 0;
    let at = 0;
    while (at < layout.length) {
      const next = at + HEADER_LENGTH + layout.readUInt16BE(at);
      if (next - start > max) {
        this.outbox.send(id, RECORD.WRITE_PART, layout.subarray(start, at));
        start = at;
      }
      at = next;
    }
    this.outbox.send(id, RECORD.WRITE_END, layout.subarray(start));
  }

  sendCredit(id: number, bytes: number): void {
    const payload = Buffer.allocUnsafe(4);
    payload.writeUInt32LE(Math.min(bytes, 0xffffffff), 0);
    this.outbox.send(id, RECORD.CREDIT, payload);
  }

  sendClose(id: number, wait: boolean): void {
    if (!this.alive) return;
    this.outbox.send(id, RECORD.CLOSE, Buffer.from([wait ? 1 : 0]));
  }

  totals(id: number): [number, number] {
    const slot = (id % STAT_SLOTS) * 2;
    return [this.stats[slot] ?? 0, this.stats[slot + 1] ?? 0];
  }

  // ------------------------------------------------------------ from the shard

  private onMessage(message: ShardToMain): void {
    switch (message.t) {
      case 'bell':
        this.pump.wake();
        return;
      case 'space':
        this.outbox.onSpace();
        return;
      case 'authenticated':
        take(this.handshakes, message.id)?.resolve(message.info);
        return;
      case 'established':
        take(this.accepts, message.id)?.resolve();
        return;
      case 'nacked':
        take(this.nacks, message.id)?.resolve();
        return;
      case 'failed': {
        const error = errorFromRecord(message.error);
        const typed = error instanceof P2pError ? error : new PoolError('SHARD_FAILED', error.message);
        (take(this.handshakes, message.id) ?? take(this.accepts, message.id))?.reject(typed);
        return;
      }
    }
  }

  private onRecord(id: number, kind: number, payload: Uint8Array): void {
    const session = this.sessions.get(id);
    if (!session) return;
    switch (kind) {
      case RECORD.MESSAGE_PART:
        this.traffic.bytesIn += payload.length;
        session.onBodyPart(payload);
        break;
      case RECORD.MESSAGE_END:
        this.traffic.bytesIn += payload.length;
        this.traffic.messagesIn++;
        session.onBodyEnd(payload);
        break;
      case RECORD.WRITTEN: {
        const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
        const messages = view.getUint32(0, true);
        const bytes = view.getUint32(4, true);
        this.traffic.messagesOut += messages;
        this.traffic.bytesOut += bytes;
        session.onWritten(messages, bytes);
        break;
      }
      case RECORD.ENDED:
        this.sessions.delete(id);
        session.onEnded(RemoteSession.endedError(payload));
        break;
    }
  }
}

function take<T>(map: Map<number, T>, id: number): T | undefined {
  const value = map.get(id);
  map.delete(id);
  return value;
}

export class ShardEngine<Meta> implements PoolEngine<Meta> {
  private readonly shards: ShardHandle[];
  private readonly config: HandshakeConfig<Meta>;

  constructor(config: HandshakeConfig<Meta>, workers: number) {
    this.config = config;
    const shardConfig = {
      secretKey: config.identity.secretKey,
      proofOfWorkStamp: config.identity.proofOfWorkStamp,
      announcedVersion: config.announcedVersion,
      proofOfWorkDifficulty: config.proofOfWorkDifficulty,
      advertisedPort: config.advertisedPort,
      localMetadata: config.metadata.codec.encode(config.metadata.value),
      pendingMessages: config.pendingMessages,
    };
    this.shards = Array.from({ length: workers }, (_, index) => new ShardHandle(index, shardConfig));
  }

  adopt(socket: Socket, timeout: number): Promise<AuthenticatedConnection<Meta>> {
    const shard = this.leastLoaded();
    const { id, info } = shard.adopt(socket, timeout);
    return this.authenticated(shard, id, info);
  }

  dial(host: string, port: number, timeout: number, signal?: AbortSignal): Promise<AuthenticatedConnection<Meta>> {
    const shard = this.leastLoaded();
    const { id, info } = shard.dial(host, port, timeout);
    signal?.addEventListener('abort', () => shard.abandon(id), { once: true });
    return this.authenticated(shard, id, info);
  }

  setAdvertisedPort(port: number): void {
    for (const shard of this.shards) shard.post({ t: 'advertise', port });
  }

  shardStats(): ShardStats[] {
    return this.shards.map((shard) => shard.shardStats());
  }

  /** Terminates a shard as a crash would (tests, operators); it is replaced. */
  killShard(index: number): Promise<number> {
    const shard = this.shards[index];
    if (!shard) throw new RangeError(`no shard ${index}`);
    return shard.kill();
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.map((shard) => shard.close()));
  }

  private leastLoaded(): ShardHandle {
    let best = this.shards[0]!;
    for (const shard of this.shards) if (shard.load < best.load) best = shard;
    return best;
  }

  private async authenticated(shard: ShardHandle, id: number, pending: Promise<WireInfo>): Promise<AuthenticatedConnection<Meta>> {
    const wire = await pending;
    let remoteMetadata: Meta;
    try {
      remoteMetadata = decodeWith(() => this.config.metadata.codec.decode(Buffer.from(wire.remoteMetadata)));
    } catch (error) {
      shard.abandon(id);
      throw error instanceof P2pError ? error : new DecodingError('USER_FUNCTION', String(error));
    }
    const info: ConnectionInfo<Meta> = {
      peerId: wire.peerId,
      publicKey: Buffer.from(wire.publicKey),
      announcedVersion: wire.announcedVersion,
      incoming: wire.incoming,
      idPoint: wire.idPoint,
      remoteSocketPort: wire.remoteSocketPort,
      privateNode: this.config.metadata.privateNode(remoteMetadata),
      localMetadata: this.config.metadata.value,
      remoteMetadata,
    };
    return new AuthenticatedConnection(info, remoteHandshake(shard, id), this.config.announcedVersion);
  }
}

function remoteHandshake(shard: ShardHandle, id: number): HandshakeBackend {
  return {
    accept: async (limits, watch) => {
      const session = new RemoteSession(id, shard, limits);
      await watch(shard.accept(id, session, limits.incomingQueueSize, limits.maxMessageSize));
      return session;
    },
    nack: (motive, points) => shard.nack(id, motive, points),
    close: async () => shard.abandon(id),
  };
}
