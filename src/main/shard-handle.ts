/**
 * One shard worker as main sees it: its start, death and restart with back-off, and the
 * lifecycle calls main makes for each connection on it (architecture.md §4). The control plane
 * is shard-control.ts, the mirror of its connections shard-records.ts, the rings and doorbells
 * the ShardRingLink's (shard-ring-link.ts).
 */
import type { Socket } from 'node:net';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { ConnectionClosedError, PoolError } from '../shared/errors.ts';
import { createRingBuffer } from '../shared/ring/record-ring.ts';
import { STAT_SLOTS, type MainSignal, type Outcome, type ShardConfig, type ShardEvent, type WireInfo } from '../shared/shard/protocol.ts';
import { createStatsTable } from '../shared/shard/stat-slots.ts';
import type { Point } from '../shared/wire/point.ts';
import type { ShardStats } from './pool-engine.ts';
import { PendingMessageBudget } from '../shared/session/pending-message-budget.ts';
import type { RingLink } from './ring-link.ts';
import { askWorker, controlMethods, transferring, type ControlMethods } from './shard-control.ts';
import { fromRecord, ShardRecords, type ShardRecord } from './shard-records.ts';
import { ShardRingLink, type RingLinkHost } from './shard-ring-link.ts';

export type { ShardRecord } from './shard-records.ts';

/** Ring data area per direction per shard. 1 MiB holds ~15 full chunks of layouts in flight. */
const RING_CAPACITY = 1 << 20;

/** Restart back-off after a shard dies: doubles from the first delay up to the cap. */
const RESTART_DELAY_MS = 100;
const RESTART_DELAY_CAP_MS = 5000;
/** Consecutive deaths before start-up completed after which the shard is given up. */
const MAX_START_FAILURES = 5;
/** How long a closing pool lets a shard close its sockets itself before terminating it. */
const SHUTDOWN_GRACE_MS = 3000;

/** One shard worker and its rings, as main sees it. */
export class ShardHandle implements RingLinkHost {
  readonly index: number;
  restarts = 0;
  /** The data plane: what every RingLink of this shard sends and receives through. */
  readonly link = new ShardRingLink(this);
  private worker!: Worker;
  private control!: ControlMethods;
  alive = false;
  /** The current worker finished its start-up (it answered its first control call). */
  private started = false;
  private startFailures = 0;
  /** The shard kept dying at start-up and is not restarted any more. */
  gaveUp = false;
  private lastError: Error | undefined;
  /** Resolves once a worker of this shard has started, or the shard was given up. */
  readonly ready: Promise<void>;
  private markReady!: () => void;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly records: ShardRecords;
  private readonly config: Omit<ShardConfig, 'index' | 'inbound' | 'outbound' | 'stats'>;
  private readonly script: URL;
  private readonly resourceLimits: ResourceLimits | undefined;
  private readonly onGaveUp: (error: PoolError) => void;
  private closing = false;

  constructor(index: number, config: Omit<ShardConfig, 'index' | 'inbound' | 'outbound' | 'stats'>, script: URL, onGaveUp: (error: PoolError) => void, resourceLimits?: ResourceLimits) {
    this.index = index;
    this.records = new ShardRecords(index, this.link);
    this.config = config;
    this.script = script;
    this.resourceLimits = resourceLimits;
    this.onGaveUp = onGaveUp;
    this.ready = new Promise<void>((resolve) => (this.markReady = resolve));
    this.start();
  }

  /** Connections and handshakes on this shard: what "least loaded" compares. */
  get load(): number {
    return this.records.size;
  }

  get usable(): boolean {
    return this.alive && !this.closing;
  }

  shardStats(): ShardStats {
    const { incoming, outgoing } = this.records.established();
    const connections = incoming + outgoing;
    const established = { connections, connectionsByDirection: { incoming, outgoing } };
    const { traffic, doorbells } = this.link;
    return { shard: this.index, ...established, handshakes: this.records.size - connections, alive: this.alive, restarts: this.restarts, ...traffic, ...this.link.rings(), ...doorbells };
  }

  /** The shard's own view of its connections by lifecycle state (one control call); none from a dead shard. */
  shardCounts(): Promise<Readonly<Record<string, number>>> {
    return this.ask(() => this.control.stats(), {});
  }

  /** The shard thread's own CPU time so far (one control call); undefined from a dead shard. */
  cpuUsage(): Promise<NodeJS.CpuUsage | undefined> {
    return this.ask(() => this.control.cpuUsage(), undefined);
  }

  /** One control call, answered with `dead` when the worker is gone or exits before answering. */
  private ask<T, D>(call: () => Promise<T>, dead: D): Promise<T | D> {
    if (!this.alive) return Promise.resolve(dead);
    return askWorker(this.worker, call, dead);
  }

  private start(): void {
    const inbound = createRingBuffer(RING_CAPACITY);
    const outbound = createRingBuffer(RING_CAPACITY);
    const statsBuffer = createStatsTable(STAT_SLOTS);
    this.records.resetSlots();
    const worker = new Worker(this.script, { ...(this.resourceLimits ? { resourceLimits: this.resourceLimits } : {}), workerData: { ...this.config, index: this.index, inbound, outbound, stats: statsBuffer } satisfies ShardConfig });
    this.worker = worker;
    this.alive = true;
    this.started = false;
    this.control = controlMethods(worker);
    this.link.attach(worker, inbound, outbound, new Float64Array(statsBuffer));
    worker.on('message', (message: ShardEvent) => this.onEvent(message));
    worker.on('error', (error) => {
      this.lastError = error; // 'exit' follows and does the work
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) this.onExit(code);
    });
    // The shard answers its first call once its module has run: then start-up succeeded.
    this.control.stats().then(
      () => {
        if (this.worker === worker) {
          this.started = true;
          this.startFailures = 0;
          this.markReady();
        }
      },
      () => undefined,
    );
  }

  /** A dead shard ends its own connections with SHARD_FAILED (cause: the worker's error) and is replaced with back-off. */
  private onExit(code: number): void {
    this.alive = false;
    // Its sessions can no longer give back what their unfinished messages charged.
    const budget = this.config.pendingMessages?.budget;
    if (budget) PendingMessageBudget.attach(budget, this.index + 1).clearThread(this.index + 1);
    const cause = this.lastError ?? new Error(`shard ${this.index} exited with code ${code}`);
    this.lastError = undefined;
    this.records.dropAll(new PoolError('SHARD_FAILED', `shard ${this.index} stopped: ${cause.message}`, { cause }));
    if (this.closing) return;
    if (!this.started) this.startFailures++;
    if (this.startFailures >= MAX_START_FAILURES) {
      this.gaveUp = true;
      this.markReady();
      this.onGaveUp(new PoolError('SHARD_FAILED', `shard ${this.index} failed ${this.startFailures} times at start-up; not restarted`, { cause }));
      return;
    }
    const delay = this.started ? 0 : Math.min(RESTART_DELAY_CAP_MS, RESTART_DELAY_MS * 2 ** (this.startFailures - 1));
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.closing) return;
      this.restarts++;
      this.start();
    }, delay);
    this.restartTimer.unref();
  }

  /** For tests and operators: stop the worker as a crash would. */
  kill(): Promise<number> {
    return this.worker.terminate();
  }

  /**
   * Lets the shard close what it still holds (`drain` sends queued messages first, `shutdown`
   * does not), for at most SHUTDOWN_GRACE_MS, then terminates the worker.
   */
  async close(wait: boolean): Promise<void> {
    this.closing = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.alive && this.started) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_GRACE_MS)));
      await Promise.race([(wait ? this.control.drain() : this.control.shutdown()).catch(() => undefined), grace]);
      clearTimeout(timer);
    }
    await this.worker.terminate();
  }

  signal(message: MainSignal): void {
    if (this.alive) this.worker.postMessage(message);
  }

  // ------------------------------------------------------------ lifecycle calls

  adopt(socket: Socket, timeout: number): { record: ShardRecord; info: Promise<WireInfo> } {
    const record = this.records.open('handshaking');
    this.link.clearTotals(record.slot);
    // Node destroys main's socket as it transfers it: from then on nothing here keeps that shell
    // (~1.6 KB in dictionary mode) while the shard runs the handshake; unsent, it is destroyed.
    let unsent: Socket | undefined = socket;
    const call = (): Promise<Outcome<WireInfo>> => {
      const sending = unsent!;
      const reply = this.control.adopt(transferring({ id: record.id, slot: record.slot, timeout, socket: sending }, sending));
      if (sending.destroyed) unsent = undefined;
      return reply;
    };
    return { record, info: this.authenticatedOn(record, this.records.call(record, 'handshaking', call, () => unsent?.destroy())) };
  }

  dial(host: string, port: number, timeout: number): { record: ShardRecord; info: Promise<WireInfo> } {
    const record = this.records.open('dialing');
    this.link.clearTotals(record.slot);
    return { record, info: this.authenticatedOn(record, this.records.call(record, 'dialing', () => this.control.dial({ id: record.id, slot: record.slot, timeout, host, port }))) };
  }

  /** The mirror follows the shard: authenticated, awaiting main's policy. */
  private async authenticatedOn(record: ShardRecord, handshake: Promise<WireInfo>): Promise<WireInfo> {
    const info = await handshake;
    if (record.state !== 'closed' && record.state !== 'closing') record.state = 'authenticated';
    return info;
  }

  async accept(record: ShardRecord, session: RingLink, incomingQueueSize: number, maxMessageSize: number): Promise<void> {
    record.session = session;
    try {
      await this.records.call(record, 'accepting', () => this.control.accept(record.id, { incomingQueueSize, maxMessageSize }));
    } catch (error) {
      record.session = undefined;
      throw error;
    }
    if (record.state === 'accepting') record.state = 'established';
  }

  async nack(record: ShardRecord, motive: number, points: readonly Point[]): Promise<void> {
    await this.records.call(record, 'closing', () => this.control.nack(record.id, motive, points.map((p) => ({ host: p.host, port: p.port }))));
    this.records.remove(record);
  }

  /** Ends the connection in any state; resolves once the shard has forgotten it. */
  async abandon(record: ShardRecord): Promise<void> {
    if (record.state === 'closed') return;
    const interrupt = record.interrupt;
    record.interrupt = undefined;
    interrupt?.(new ConnectionClosedError('connection abandoned'));
    record.state = 'closing';
    if (!this.alive) return;
    await this.control.abandon(record.id).catch(() => undefined);
    this.records.remove(record);
  }

  /** What the shard says the connection waits for (a dead shard: that it stopped). */
  waitingFor(record: ShardRecord): Promise<string> {
    if (!this.alive) return Promise.resolve(`shard ${this.index} stopped`);
    return Promise.resolve(this.control.waitingFor(record.id));
  }

  advertise(port: number): void {
    void this.control.advertise(port).catch(() => undefined);
  }

  // ------------------------------------------------------------ RingLinkHost

  record(id: number): ShardRecord | undefined {
    return this.records.get(id);
  }

  forget(record: ShardRecord): void {
    this.records.remove(record);
  }

  /** A record main could not handle (a bug, or a corrupt ring) ends that one connection. */
  failRecord(id: number, error: unknown): void {
    const record = this.records.get(id);
    if (!record) return;
    void this.abandon(record);
    this.records.drop(record, new ConnectionClosedError(`connection ${id}: ${error instanceof Error ? error.message : String(error)}`));
  }

  // ------------------------------------------------------------ from the shard

  private onEvent(event: ShardEvent): void {
    if (typeof event !== 'object' || event === null || !('t' in event)) return; // a comlink reply
    switch (event.t) {
      case 'bell':
        this.link.onBell();
        return;
      case 'space':
        this.link.onSpace();
        return;
      case 'dropped': {
        const record = this.records.get(event.connection);
        if (!record) return;
        this.records.drop(record, fromRecord(event.error));
        return;
      }
      case 'bodies':
        this.link.onTransferred(event.connections, event.bodies, event.bell);
        return;
    }
  }
}
