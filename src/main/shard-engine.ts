/**
 * Sharded engine: connections live on worker threads (architecture.md §2). Main transfers each admitted
 * socket to the least-loaded shard (Node >= 24.20 can transfer sockets), or asks it to dial;
 * the shard authenticates and reports the peer; main's policy answers accept or nack.
 *
 * Each connection on a shard is mirrored here by one `ShardRecord` (its lifecycle state as main
 * last saw it, its stats slot, and once established its RemoteSession). A record is removed
 * exactly when the shard has forgotten the connection: a failed call, a nack sent, an abandon
 * answered, a `dropped` event, the ENDED record, or the shard's death (architecture.md §4).
 */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink/dist/esm/comlink.mjs';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { ConnectionClosedError, DecodingError, MyselfError, P2pError, PoolError, errorFromRecord, type ErrorRecord } from '../shared/errors.ts';
import { ConsumerPump } from '../shared/ring/pump.ts';
import { createRingBuffer, RingConsumer } from '../shared/ring/record-ring.ts';
import { decodeWith, type ConnectionInfo } from '../shared/session/handshake.ts';
import { publicBytes } from '../shared/session/long-lived-bytes.ts';
import { Outbox } from '../shared/shard/outbox.ts';
import { TransferOrder } from '../shared/shard/transfer-order.ts';
import { STAT_SLOTS, TRANSFER_THRESHOLD, type MainSignal, type Outcome, type ShardConfig, type ShardControl, type ShardEvent, type WireInfo } from '../shared/shard/protocol.ts';
import { recordBytes } from '../shared/ring/layout.ts';
import { BROADCAST_ID, RECORD, SHARD_WIDE_ID, decodeEnded, decodeWritten, encodeClose, encodeCredit, encodeTransferred, sendLayout, sendTargets, transferredBytes, type RecordSink } from '../shared/shard/records.ts';
import { CorruptMessagesRecordError, forEachBatchedBody } from '../shared/shard/body-batch.ts';
import { forEachWrittenReport } from '../shared/shard/written-reports.ts';
import { createStatsTable, readTotals, StatSlots } from '../shared/shard/stat-slots.ts';
import type { Point } from '../shared/wire/point.ts';
import { AuthenticatedConnection } from './authenticated-connection.ts';
import type { Attempt, HandshakeConfig, PoolEngine, ShardStats } from './pool-engine.ts';
import { PendingMessageBudget } from '../shared/session/pending-message-budget.ts';
import { RemoteSession, type ShardLink } from './remote-session.ts';
import type { HandshakeBackend } from './session-backend.ts';

/** Ring data area per direction per shard. 1 MiB holds ~15 full chunks of layouts in flight. */
const RING_CAPACITY = 1 << 20;

/** The shard's control calls, each read once from Comlink's proxy of the worker (`controlMethods`). */
type ControlMethods = { readonly [K in keyof ShardControl]: Comlink.Remote<ShardControl>[K] };

/** Every method of ShardControl (a record, so the compiler finds one left out). */
const CONTROL_METHODS: Readonly<Record<keyof ShardControl, true>> = {
  adopt: true,
  dial: true,
  accept: true,
  nack: true,
  abandon: true,
  waitingFor: true,
  advertise: true,
  stats: true,
  cpuUsage: true,
  drain: true,
  shutdown: true,
};

/**
 * Reads every control method off Comlink's proxy once per worker. Each property read of that proxy
 * builds a new Proxy, a handler with five closures and a path array, and registers the Proxy in a
 * FinalizationRegistry; reading `control.adopt` and `control.accept` per handshake did that twice
 * per connection: sharded, main allocated 27.7 KB per handshake over a burst of 5,000, 26.3 KB
 * with the methods read once (bench/handshake-young-gen.ts --workers=2, docs/architecture.md §4c).
 */
function controlMethods(remote: Comlink.Remote<ShardControl>): ControlMethods {
  const methods: Partial<Record<keyof ShardControl, unknown>> = {};
  for (const name of Object.keys(CONTROL_METHODS) as Array<keyof ShardControl>) methods[name] = remote[name];
  return methods as ControlMethods;
}

const SHARD_URL = new URL(`../worker/shard${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/** Restart back-off after a shard dies: doubles from the first delay up to the cap. */
const RESTART_DELAY_MS = 100;
const RESTART_DELAY_CAP_MS = 5000;
/** Consecutive deaths before start-up completed after which the shard is given up. */
const MAX_START_FAILURES = 5;
/** How long a closing pool lets a shard close its sockets itself before terminating it. */
const SHUTDOWN_GRACE_MS = 3000;

/**
 * Test seam: the worker script a pool's shards run (a script that fails at start-up proves the
 * back-off). Not part of the public options.
 * @internal
 */
export const SHARD_SCRIPT = Symbol('p2p-socket.shardScript');

type RecordState = 'dialing' | 'handshaking' | 'authenticated' | 'accepting' | 'established' | 'closing' | 'closed';

/** Main's mirror of one connection on a shard. */
interface ShardRecord {
  readonly id: number;
  readonly slot: number;
  readonly incoming: boolean;
  state: RecordState;
  /** Why the shard forgot it, when it did so on its own. */
  error: P2pError | undefined;
  session: RemoteSession | undefined;
  /** Rejects the call in progress (shard death, drop). */
  interrupt: ((error: P2pError) => void) | undefined;
}

let nextConnectionId = 1;

function fromRecord(record: ErrorRecord): P2pError {
  const error = errorFromRecord(record);
  return error instanceof P2pError ? error : new ConnectionClosedError(`${record.code}: ${error.message}`);
}

/** One shard worker and its rings, as main sees it. */
class ShardHandle implements ShardLink {
  readonly index: number;
  restarts = 0;
  private readonly traffic = { messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0 };
  private readonly doorbells = { doorbellsSent: 0, doorbellsReceived: 0 };
  private consumer!: RingConsumer;
  private worker!: Worker;
  private control!: ControlMethods;
  private outbox!: Outbox;
  private pump!: ConsumerPump;
  private stats!: Float64Array;
  private slots!: StatSlots;
  private alive = false;
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
  private readonly records = new Map<number, ShardRecord>();
  /** Received bodies that crossed as transferred buffers, kept in order with the ring records. */
  private readonly order = new TransferOrder(RECORD.MESSAGE_TRANSFERRED, (id, kind, payload, body) => {
    try {
      this.onRecord(id, kind, payload, body);
    } catch (error) {
      this.onRecordError(id, error);
    }
  });
  private readonly config: Omit<ShardConfig, 'index' | 'inbound' | 'outbound' | 'stats'>;
  private readonly script: URL;
  private readonly onGaveUp: (error: PoolError) => void;
  private closing = false;

  constructor(index: number, config: Omit<ShardConfig, 'index' | 'inbound' | 'outbound' | 'stats'>, script: URL, onGaveUp: (error: PoolError) => void) {
    this.index = index;
    this.config = config;
    this.script = script;
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
    let incoming = 0;
    let outgoing = 0;
    for (const record of this.records.values()) {
      if (record.state !== 'established') continue;
      if (record.incoming) incoming++;
      else outgoing++;
    }
    const connections = incoming + outgoing;
    const rings = {
      ringFromShardBytes: this.alive ? this.consumer.usedBytes : 0,
      ringToShardBytes: this.alive ? this.outbox.usedBytes : 0,
      ringToShardBacklog: this.alive ? this.outbox.backlog : 0,
    };
    const established = { connections, connectionsByDirection: { incoming, outgoing } };
    return { shard: this.index, ...established, handshakes: this.records.size - connections, alive: this.alive, restarts: this.restarts, ...this.traffic, ...rings, ...this.doorbells };
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
    const stop = new AbortController();
    const gone = once(this.worker, 'exit', { signal: stop.signal }).then(
      () => dead,
      () => dead,
    );
    return Promise.race([call(), gone]).finally(() => stop.abort());
  }

  private start(): void {
    const inbound = createRingBuffer(RING_CAPACITY);
    const outbound = createRingBuffer(RING_CAPACITY);
    const statsBuffer = createStatsTable(STAT_SLOTS);
    this.stats = new Float64Array(statsBuffer);
    this.slots = new StatSlots(STAT_SLOTS);
    const worker = new Worker(this.script, { workerData: { ...this.config, index: this.index, inbound, outbound, stats: statsBuffer } satisfies ShardConfig });
    this.worker = worker;
    this.alive = true;
    this.started = false;
    this.control = controlMethods(Comlink.wrap<ShardControl>(nodeEndpoint(worker)));
    this.outbox = new Outbox(inbound, (bell, connections, layouts) => {
      if (bell) this.doorbells.doorbellsSent++;
      if (connections.length === 0) this.signal({ t: 'bell' });
      else if (this.alive) this.worker.postMessage({ t: 'layouts', connections, layouts, bell } satisfies MainSignal, layouts);
    });
    this.order.clear();
    this.consumer = new RingConsumer(outbound);
    this.pump = new ConsumerPump(this.consumer, {
      visit: (id, kind, payload) => {
        if (id !== SHARD_WIDE_ID) this.order.visit(id, kind, payload);
        else if (kind === RECORD.MESSAGES) this.onBodies(payload);
        else if (kind === RECORD.WRITTEN_BATCH) forEachWrittenReport(payload, this.onWritten);
      },
      onSpace: () => this.signal({ t: 'space' }),
    });
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
    this.failAll(new PoolError('SHARD_FAILED', `shard ${this.index} stopped: ${cause.message}`, { cause }));
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

  private failAll(error: PoolError): void {
    const records = [...this.records.values()];
    this.records.clear();
    this.order.clear();
    for (const record of records) this.drop(record, error);
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

  private signal(message: MainSignal): void {
    if (this.alive) this.worker.postMessage(message);
  }

  // ------------------------------------------------------------ lifecycle calls

  private open(state: 'handshaking' | 'dialing'): ShardRecord {
    const slot = this.slots.allocate();
    if (slot === undefined) throw new PoolError('TOO_MANY_CONNECTIONS', `shard ${this.index} has no free stats slot`);
    const incoming = state === 'handshaking'; // an adopted socket; a dial is outgoing
    const record: ShardRecord = { id: nextConnectionId++, slot, incoming, state, error: undefined, session: undefined, interrupt: undefined };
    this.records.set(record.id, record);
    return record;
  }

  /** The shard forgot the connection: remove the record, free its slot. */
  private remove(record: ShardRecord): void {
    if (this.records.get(record.id) === record) this.records.delete(record.id);
    this.order.forget(record.id);
    if (record.state !== 'closed') {
      record.state = 'closed';
      this.slots.release(record.slot);
    }
  }

  private drop(record: ShardRecord, error: P2pError): void {
    const wasClosed = record.state === 'closed';
    record.error ??= error;
    const { interrupt, session } = record;
    record.interrupt = undefined;
    if (!wasClosed) {
      record.state = 'closed';
      this.slots.release(record.slot);
    }
    interrupt?.(error);
    session?.onEnded(error);
  }

  /**
   * One control call for `record`: the outcome, or the error that ended the record meanwhile.
   * `onLost` runs when the call itself failed (the message could not be posted).
   */
  private call<T>(record: ShardRecord, state: RecordState, request: () => Promise<Outcome<T>>, onLost?: () => void): Promise<T> {
    if (record.state === 'closed') return Promise.reject(record.error ?? new ConnectionClosedError('connection already closed'));
    record.state = state;
    return new Promise<T>((resolve, reject) => {
      record.interrupt = reject;
      let pending: Promise<Outcome<T>>;
      try {
        pending = request();
      } catch (error) {
        pending = Promise.reject(error as Error);
      }
      pending.then(
        (outcome) => {
          if (record.interrupt !== reject) return; // already ended (shard death, drop)
          record.interrupt = undefined;
          if (outcome.ok) resolve(outcome.value);
          else {
            const error = fromRecord(outcome.error);
            record.error = error;
            this.remove(record);
            reject(error);
          }
        },
        (error: unknown) => {
          onLost?.();
          if (record.interrupt !== reject) return;
          record.interrupt = undefined;
          this.remove(record);
          reject(new ConnectionClosedError(`shard ${this.index}: control call failed: ${error instanceof Error ? error.message : String(error)}`));
        },
      );
    });
  }

  adopt(socket: Socket, timeout: number): { record: ShardRecord; info: Promise<WireInfo> } {
    const record = this.open('handshaking');
    const opening = { id: record.id, slot: record.slot, timeout, socket };
    const call = () => this.control.adopt(Comlink.transfer(opening, [socket as never]));
    return { record, info: this.authenticatedOn(record, this.call(record, 'handshaking', call, () => socket.destroy())) };
  }

  dial(host: string, port: number, timeout: number): { record: ShardRecord; info: Promise<WireInfo> } {
    const record = this.open('dialing');
    return { record, info: this.authenticatedOn(record, this.call(record, 'dialing', () => this.control.dial({ id: record.id, slot: record.slot, timeout, host, port }))) };
  }

  /** The mirror follows the shard: authenticated, awaiting main's policy. */
  private async authenticatedOn(record: ShardRecord, handshake: Promise<WireInfo>): Promise<WireInfo> {
    const info = await handshake;
    if (record.state !== 'closed' && record.state !== 'closing') record.state = 'authenticated';
    return info;
  }

  async accept(record: ShardRecord, session: RemoteSession, incomingQueueSize: number, maxMessageSize: number): Promise<void> {
    record.session = session;
    try {
      await this.call(record, 'accepting', () => this.control.accept(record.id, { incomingQueueSize, maxMessageSize }));
    } catch (error) {
      record.session = undefined;
      throw error;
    }
    if (record.state === 'accepting') record.state = 'established';
  }

  async nack(record: ShardRecord, motive: number, points: readonly Point[]): Promise<void> {
    await this.call(record, 'closing', () => this.control.nack(record.id, motive, points.map((p) => ({ host: p.host, port: p.port }))));
    this.remove(record);
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
    this.remove(record);
  }

  /** What the shard says the connection waits for (a dead shard: that it stopped). */
  waitingFor(record: ShardRecord): Promise<string> {
    if (!this.alive) return Promise.resolve(`shard ${this.index} stopped`);
    return Promise.resolve(this.control.waitingFor(record.id));
  }

  advertise(port: number): void {
    void this.control.advertise(port).catch(() => undefined);
  }

  // ------------------------------------------------------------ ShardLink (data plane)

  /**
   * A layout of TRANSFER_THRESHOLD bytes or more that is the one view of its own ArrayBuffer (what
   * `encode` allocates above 4 KiB) is transferred, and the shard seals it in place: no copy
   * through the ring (architecture.md §3). Anything else is cut into ring records.
   */
  sendLayout(id: number, layout: Buffer): void {
    const buffer = layout.buffer;
    if (layout.length >= TRANSFER_THRESHOLD && this.alive && buffer instanceof ArrayBuffer && layout.byteOffset === 0 && layout.byteLength === buffer.byteLength) {
      this.outbox.send(id, RECORD.WRITE_TRANSFERRED, encodeTransferred(layout.length));
      this.outbox.transfer(id, buffer); // posted with this turn's doorbell (outbox.ts)
      return;
    }
    sendLayout(this.toShard, id, layout, this.outbox.maxPayload);
  }

  /** The outbox as a RecordSink, made once (not a closure per message written). */
  private readonly toShard: RecordSink = (to, kind, payload) => this.outbox.send(to, kind, payload);

  sendBroadcast(ids: readonly number[], layout: Buffer): number {
    if (!this.alive) return 0;
    let bytes = 0;
    const sink: RecordSink = (to, kind, payload) => {
      bytes += recordBytes(payload.length);
      this.outbox.send(to, kind, payload);
    };
    sendTargets(sink, ids, this.outbox.maxPayload);
    sendLayout(sink, BROADCAST_ID, layout, this.outbox.maxPayload, RECORD.BROADCAST_PART, RECORD.BROADCAST_END);
    return bytes;
  }

  sendCredit(id: number, bytes: number): void {
    this.outbox.send(id, RECORD.CREDIT, encodeCredit(bytes));
  }

  sendClose(id: number, wait: boolean): void {
    if (!this.alive) return;
    this.outbox.send(id, RECORD.CLOSE, encodeClose(wait));
  }

  totals(id: number): [number, number] {
    const record = this.records.get(id);
    return record ? readTotals(this.stats, record.slot) : [0, 0];
  }

  // ------------------------------------------------------------ from the shard

  private onEvent(event: ShardEvent): void {
    if (typeof event !== 'object' || event === null || !('t' in event)) return; // a comlink reply
    switch (event.t) {
      case 'bell':
        this.doorbells.doorbellsReceived++;
        this.pump.wake();
        return;
      case 'space':
        this.outbox.onSpace();
        return;
      case 'dropped': {
        const record = this.records.get(event.connection);
        if (!record) return;
        this.records.delete(record.id);
        this.drop(record, fromRecord(event.error));
        return;
      }
      case 'bodies':
        for (let i = 0; i < event.connections.length; i++) {
          const id = event.connections[i]!;
          if (this.records.has(id)) this.order.arrived(id, event.bodies[i]!);
        }
        if (event.bell) {
          this.doorbells.doorbellsReceived++;
          this.pump.wake();
        }
        return;
    }
  }

  /** A record main could not handle (a bug, or a corrupt ring) ends that one connection. */
  private onRecordError(id: number, error: unknown): void {
    const record = this.records.get(id);
    if (!record) return;
    void this.abandon(record);
    this.records.delete(id);
    this.drop(record, new ConnectionClosedError(`connection ${id}: ${error instanceof Error ? error.message : String(error)}`));
  }

  /**
   * The session of the body before, within one MESSAGES record: in W2 ingest a record is mostly
   * one connection's bodies, and a map lookup each was what batching had saved.
   */
  private bodiesId = 0;
  private bodiesSession: RemoteSession | undefined;

  /** A MESSAGES record: small bodies of any connections, in order (body-batch.ts). */
  private onBodies(payload: Uint8Array): void {
    this.bodiesId = 0;
    this.bodiesSession = undefined;
    try {
      // One copy out of the ring for the whole batch (a pool slice: < 4 KiB), one view per body.
      forEachBatchedBody(Buffer.from(payload), this.onBatchedBody);
    } catch (error) {
      // A corrupt record (a bug): the bodies before the damage were delivered; the connection
      // whose bodies the record was carrying there ends with the error rather than lose a
      // message silently (the decoder names it: it may have no body before the damage).
      const id = error instanceof CorruptMessagesRecordError ? error.connection : this.bodiesId;
      if (id !== 0) this.onRecordError(id, error);
    }
  }

  private readonly onBatchedBody = (id: number, body: Buffer): void => {
    // A connection waiting for a transferred body takes this one after it, in order (a copy).
    if (this.order.waiting(id)) {
      this.order.visit(id, RECORD.MESSAGE_END, body);
      return;
    }
    let session = this.bodiesSession;
    if (id !== this.bodiesId) {
      session = this.bodiesSession = this.records.get(id)?.session;
      this.bodiesId = id;
    }
    if (!session) return;
    this.traffic.bytesIn += body.length;
    this.traffic.messagesIn++;
    try {
      session.onBody(body);
    } catch (error) {
      this.bodiesSession = undefined; // the connection is dropped: nothing more for it
      this.onRecordError(id, error);
    }
  };

  /**
   * One connection's writes since its last report (a WRITTEN record, or one report of a
   * WRITTEN_BATCH): not ordered with its received messages, only before its ENDED, which the
   * shard sends after the connection's last report.
   */
  private readonly onWritten = (id: number, messages: number, bytes: number): void => {
    const session = this.records.get(id)?.session;
    if (!session) return;
    this.traffic.messagesOut += messages;
    this.traffic.bytesOut += bytes;
    try {
      session.onWritten(messages, bytes);
    } catch (error) {
      this.onRecordError(id, error);
    }
  };

  /** One record in order; `body`: the transferred body a MESSAGE_TRANSFERRED record stands for. */
  private onRecord(id: number, kind: number, payload: Uint8Array, body: ArrayBuffer | undefined): void {
    const record = this.records.get(id);
    const session = record?.session;
    if (!record || !session) return;
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
      case RECORD.MESSAGE_TRANSFERRED: {
        if (!body) break;
        const bytes = transferredBytes(body, payload);
        this.traffic.bytesIn += bytes.length;
        this.traffic.messagesIn++;
        session.onBody(bytes);
        break;
      }
      case RECORD.WRITTEN: {
        const { messages, bytes } = decodeWritten(payload);
        this.onWritten(id, messages, bytes);
        break;
      }
      case RECORD.ENDED:
        // The last stats the shard wrote stay readable through the session's own totals.
        session.keepTotals(readTotals(this.stats, record.slot));
        this.remove(record);
        session.onEnded(decodeEnded(payload));
        break;
    }
  }
}

export interface ShardEngineOptions {
  readonly workers: number;
  /** Called when a shard kept dying at start-up and was given up. */
  readonly onShardFailed: (error: PoolError) => void;
  readonly script?: URL | undefined;
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
    this.shards = Array.from({ length: options.workers }, (_, index) => new ShardHandle(index, shardConfig, script, options.onShardFailed));
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
      idPoint: wire.idPoint,
      remoteSocketPort: wire.remoteSocketPort,
      privateNode: this.config.metadata.privateNode(remoteMetadata),
      localMetadata: this.config.metadata.value,
      remoteMetadata,
    };
    return new AuthenticatedConnection(info, remoteHandshake(shard, record), this.config.announcedVersion);
  }
}

function failedAttempt<Meta>(error: P2pError): Attempt<Meta> {
  return { authenticated: Promise.reject(error), abandon: () => undefined, waitingFor: () => error.message };
}

function remoteHandshake(shard: ShardHandle, record: ShardRecord): HandshakeBackend {
  return {
    accept: async (limits, watch) => {
      const session = new RemoteSession(record.id, shard, limits);
      await watch(shard.accept(record, session, limits.incomingQueueSize, limits.maxMessageSize));
      return session;
    },
    nack: (motive, points) => shard.nack(record, motive, points),
    close: () => shard.abandon(record),
  };
}
