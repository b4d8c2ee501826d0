/**
 * The traffic of one generator process: it opens its share of the connections with the public
 * `connect` API (any wire-compatible node is a target: everything comes from the protocol, no
 * cooperation beyond echoing in echo mode) and drives them.
 *
 * - echo: every connection keeps `inFlight` messages outstanding; a message's latency runs from
 *   when it was due to its echo. Echoes come back in order (one stream per connection), so each
 *   is matched to the oldest outstanding message and checked (length, sequence number).
 * - send: one way; a message's latency runs from when it was due to when the connection handed
 *   it to the socket (`writeSync`), which is where a slow reader pushes back (TCP).
 * - churn: each of `connections` slots dials, completes the handshake, closes, and again; the
 *   latency is the handshake's.
 *
 * Closed loop by default. With `rate`, open loop as wrk2 does: message i is due at start + i/rate
 * whatever the target does, waits in a per-connection backlog while `inFlight` are outstanding,
 * and its latency is measured from when it was due, not when it could be sent. A target that
 * stalls for a second then shows a second of latency for everything due meanwhile, instead of the
 * one slow sample a closed loop records ("coordinated omission"). The uncorrected latency (from
 * the actual send) is kept too, for comparison.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { bytesCodec, connect, nodeMetadataConfig, P2pError, type Connection, type Identity, type MessageCodec, type NodeMetadata } from '../../main/index.ts';
import { announcedVersion, nodeLocalVersions } from '../../wire/index.ts';
import { peerMessageCodec } from '../../messages/peer-message-codec.ts';
import { failureKey } from './failure-key.ts';
import { KindHistograms } from './kind-histograms.ts';
import { newLatencyHistogram, recordMs, type LatencyHistogram } from './latency-histogram.ts';
import type { LoadMode } from './load-options.ts';
import type { RequestKind } from './node-mix.ts';
import { NodeSession, type NodeTrafficSink, type NodeTrafficSpec } from './node-traffic.ts';
import type { SizePicker } from './message-sizes.ts';

type Conn = Connection<Uint8Array, NodeMetadata>;
type NodeConnectionOf = NodeSession['conn'];

/**
 * A dial the target closes before answering is refused, not failed: a node past its incoming
 * handshakes in flight closes new sockets at once (protocol.md §11.4), and a Pool admits only part
 * of them from one address, which is where all our dials come from. Such a peer is dialled again,
 * after a pause that doubles, so the run still reaches `connections`: without it, a default
 * `listen --workers 2` left 20 of 60 peers unopened (test/load-cli.test.ts).
 */
const REFUSED_DIAL_RETRIES = 5;
const REFUSED_DIAL_PAUSE_MS = 50;

export interface GeneratorSpec {
  readonly host: string;
  readonly port: number;
  readonly mode: LoadMode;
  /** This process's share. */
  readonly connections: number;
  /** New connections per second, this process's share; `undefined`: no pacing. */
  readonly ramp: number | undefined;
  /** Messages (churn: handshakes) per second, this process's share; `undefined`: closed loop. */
  readonly rate: number | undefined;
  readonly inFlight: number;
  readonly chain: string;
  /** Dial + handshake limit per connection, ms. */
  readonly timeout: number;
  /** Handshakes in flight at once in this process. */
  readonly connectConcurrency: number;
  /** Node mode's requests and pace (node-traffic.ts); absent in the other modes. */
  readonly node?: NodeTrafficSpec | undefined;
}

/** Cumulative counters of one process (a tick carries a copy). */
export interface GeneratorCounters {
  connectionsUp: number;
  peakConnections: number;
  handshakesOk: number;
  handshakeErrors: Record<string, number>;
  errors: Record<string, number>;
  messagesSent: number;
  messagesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  /** Sent and not yet answered (echo, node) or handed to the socket (send). */
  inFlight: number;
  /** Node mode, by request kind: requests sent, answered, given up on (no answer in time). */
  requests: Record<string, number>;
  answers: Record<string, number>;
  unanswered: Record<string, number>;
  /** Node mode: requests sent sooner after the previous one of their kind than Octez v25's throttle spacing. */
  early: Record<string, number>;
  /** Node mode: answers that came with no request of their kind outstanding (a node's own Current_head). */
  unsolicited: number;
  /** Node mode: the chain the target named (`Net…`), once known. */
  chainId: string | undefined;
}

export function newCounters(): GeneratorCounters {
  return {
    connectionsUp: 0,
    peakConnections: 0,
    handshakesOk: 0,
    handshakeErrors: {},
    errors: {},
    messagesSent: 0,
    messagesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    inFlight: 0,
    requests: {},
    answers: {},
    unanswered: {},
    early: {},
    unsolicited: 0,
    chainId: undefined,
  };
}

/** The counters' tables by code or kind, which add up code by code. */
export const COUNTER_TABLES = ['handshakeErrors', 'errors', 'requests', 'answers', 'unanswered', 'early'] as const;

export function copyCounters(c: GeneratorCounters): GeneratorCounters {
  const copy = { ...c };
  for (const table of COUNTER_TABLES) copy[table] = { ...c[table] };
  return copy;
}

interface Outstanding {
  readonly due: number;
  readonly sent: number;
  readonly size: number;
  readonly seq: number;
}

class Peer {
  readonly index: number;
  conn: Conn | undefined;
  /** Node mode: the connection's session (then `conn` stays unset). */
  node: NodeSession | undefined;
  readonly outstanding: Outstanding[] = [];
  /** Open loop: due times of messages waiting for a free in-flight slot. */
  readonly backlog: number[] = [];
  seq = 0;
  refillScheduled = false;
  constructor(index: number) {
    this.index = index;
  }
}

/** How long `stop` waits for outstanding echoes before closing (they are reported as in flight). */
const DRAIN_MS = 2000;

export class TrafficGenerator {
  readonly counters = newCounters();
  /** Every latency since the last `takeInterval` (the live view and the time series). */
  private interval = newLatencyHistogram();
  /** Latencies of the measured window, from when each message was due. */
  readonly window = newLatencyHistogram();
  /** The same, from when each message was actually sent (what a closed loop would report). */
  readonly uncorrected = newLatencyHistogram();
  /** Node mode: the same by request kind, since the last `takeInterval` and over the window. */
  private kindInterval = new KindHistograms();
  readonly kindWindow = new KindHistograms();
  private expiry: NodeJS.Timeout | undefined;
  private readonly spec: GeneratorSpec;
  private readonly identities: readonly Identity[];
  private readonly pickSize: SizePicker;
  private readonly peers: Peer[] = [];
  private readonly scratch = new Map<number, Buffer>();
  private running = false;
  /** Messages flow (set at start with `ramp`, after the ramp without). */
  private trafficOn = false;
  private stopping = false;
  private measuring = false;
  private startedAt = 0;
  private rampDone: Promise<void> | undefined;
  private scheduler: Promise<void> | undefined;
  private readonly churnSlots: Promise<void>[] = [];
  /** Open-loop churn: due times of handshakes not yet started. */
  private readonly churnTickets: number[] = [];
  private readonly churnWaiters: Array<() => void> = [];
  private nextPeer = 0;
  private elu: EventLoopUtilization = performance.eventLoopUtilization();

  constructor(spec: GeneratorSpec, identities: readonly Identity[], pickSize: SizePicker) {
    if (identities.length === 0) throw new RangeError('a generator needs at least one identity');
    this.spec = spec;
    this.identities = identities;
    this.pickSize = pickSize;
  }

  /**
   * Opens the connections (churn: starts the slots). Resolves once every one was attempted.
   * With `ramp`, traffic starts on each connection as it comes up (a gradual ramp, as k6 does);
   * without, the connections are set up first and the traffic starts on all of them at once:
   * the echoes of the first thousands would otherwise hold the event loop and slow the later
   * handshakes to a crawl.
   */
  async start(): Promise<void> {
    this.running = true;
    this.startedAt = performance.now();
    this.trafficOn = this.spec.ramp !== undefined;
    if (this.trafficOn) this.startTraffic();
    this.rampDone = this.spec.mode === 'churn' ? this.startChurn() : this.openAll();
    await this.rampDone;
    if (!this.trafficOn && this.running) this.startTraffic();
  }

  private startTraffic(): void {
    this.trafficOn = true;
    if (this.spec.node !== undefined) {
      for (const peer of this.peers) peer.node?.startTraffic();
      return;
    }
    if (this.spec.rate !== undefined) this.scheduler = this.schedule(this.spec.rate, performance.now());
    for (const peer of this.peers) this.fill(peer);
  }

  /** The measured window's latencies (the caller owns a node-mode histogram: it is built here). */
  windowHistogram(): LatencyHistogram {
    return this.spec.node === undefined ? this.window : this.kindWindow.total();
  }

  /** Opens the measured window: latencies from now on count in `window`. */
  measure(): void {
    this.window.reset();
    this.uncorrected.reset();
    this.kindWindow.reset();
    this.measuring = true;
  }

  /** Latencies recorded since the previous call (overall and by kind), and the event loop's busy fraction meanwhile. */
  takeInterval(): { histogram: LatencyHistogram; kinds: KindHistograms; busy: number } {
    // Node mode records by kind only (two histograms per answer, not five): the overall
    // latency is their sum.
    const histogram = this.spec.node === undefined ? this.interval : this.kindInterval.total();
    if (this.spec.node === undefined) this.interval = newLatencyHistogram();
    const kinds = this.kindInterval;
    this.kindInterval = new KindHistograms();
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, this.elu).utilization;
    this.elu = now;
    return { histogram, kinds, busy };
  }

  /** Ends the window, lets outstanding messages come back (bounded), closes everything. */
  async stop(): Promise<void> {
    this.measuring = false;
    this.running = false;
    for (const wake of this.churnWaiters.splice(0)) wake();
    for (const peer of this.peers) peer.node?.stop();
    await this.scheduler;
    if (this.spec.mode !== 'churn') {
      const deadline = performance.now() + DRAIN_MS;
      while (this.liveOutstanding() > 0 && performance.now() < deadline) await sleep(10);
    }
    this.stopping = true;
    clearInterval(this.expiry);
    const closing = this.peers.map((peer) => (peer.conn ?? peer.node?.conn)?.close().catch(() => undefined));
    await Promise.race([Promise.all([...closing, ...this.churnSlots, this.rampDone]), sleep(DRAIN_MS, undefined, { ref: false })]);
  }

  private liveOutstanding(): number {
    let count = 0;
    for (const peer of this.peers) {
      if (peer.conn && !peer.conn.closed) count += peer.outstanding.length;
      if (peer.node && !peer.node.conn.closed) count += peer.node.outstandingCount;
    }
    return count;
  }

  // --- connections -------------------------------------------------------------------------

  /**
   * Dials and accepts with `codec`. Port 0 is announced (no point for the target to dial back or
   * to collide on: a node refuses a second connection from one announced point); node mode announces disable_mempool, so a node's
   * Current_head carries no mempool.
   */
  private async open<Msg>(index: number, codec: MessageCodec<Msg>): Promise<Connection<Msg, NodeMetadata>> {
    const identity = this.identities[index % this.identities.length]!;
    const started = Date.now();
    const auth = await connect(this.spec.host, this.spec.port, {
      identity,
      announcedVersion: announcedVersion(nodeLocalVersions(this.spec.chain)),
      metadata: nodeMetadataConfig({ disableMempool: this.spec.node !== undefined, privateNode: false }),
      // We take the target as it is: its proof of work is not what is being measured.
      proofOfWorkDifficulty: 0,
      timeout: this.spec.timeout,
    });
    return auth.accept({ codec, timeout: Math.max(1, this.spec.timeout - (Date.now() - started)) });
  }

  /** Dials the way the mode talks: raw bytes, or peer messages in node mode. */
  private openPeerConnection(peer: Peer): Promise<void> {
    if (this.spec.node === undefined) return this.open(peer.index, bytesCodec).then((conn) => this.onOpened(peer, conn));
    return this.open(peer.index, peerMessageCodec).then((conn) => this.onOpened(peer, conn));
  }

  private async openAll(): Promise<void> {
    const { connections, ramp, connectConcurrency } = this.spec;
    let free = connectConcurrency;
    const waiters: Array<() => void> = [];
    const attempts: Promise<void>[] = [];
    for (let i = 0; i < connections && this.running; i++) {
      if (ramp !== undefined) {
        const wait = this.startedAt + (i * 1000) / ramp - performance.now();
        if (wait > 0) await sleep(wait);
      }
      while (free === 0) await new Promise<void>((resolve) => waiters.push(resolve));
      free--;
      const peer = new Peer(i);
      this.peers.push(peer);
      attempts.push(
        this.openPeer(peer).finally(() => {
          free++;
          waiters.shift()?.();
        }),
      );
    }
    await Promise.all(attempts);
  }

  private async openPeer(peer: Peer): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.openPeerConnection(peer);
        return;
      } catch (error) {
        // Every failed attempt is counted; only a refused one is tried again (REFUSED_DIAL_RETRIES).
        count(this.counters.handshakeErrors, error);
        const refused = error instanceof P2pError && error.code === 'CONNECTION_CLOSED';
        if (!refused || attempt >= REFUSED_DIAL_RETRIES || !this.running) return;
        await sleep(REFUSED_DIAL_PAUSE_MS * 2 ** attempt);
        if (!this.running) return;
      }
    }
  }

  private onOpened(peer: Peer, conn: Conn | NodeConnectionOf): void {
    this.counters.handshakesOk++;
    if (!this.running) {
      void conn.close().catch(() => undefined);
      return;
    }
    this.counters.connectionsUp++;
    this.counters.peakConnections = Math.max(this.counters.peakConnections, this.counters.connectionsUp);
    if (this.spec.node !== undefined) {
      const session = new NodeSession(conn as NodeConnectionOf, this.spec.node, this.spec.inFlight, this.nodeSink);
      peer.node = session;
      this.expiry ??= setInterval(() => this.expireRequests(), 250);
      void this.nodeReadLoop(session);
      if (this.trafficOn) session.startTraffic();
      return;
    }
    peer.conn = conn as Conn;
    void this.readLoop(peer, conn as Conn);
    this.fill(peer);
  }

  // --- node mode ---------------------------------------------------------------------------

  private readonly nodeSink: NodeTrafficSink = {
    counters: this.counters,
    complete: (kind, due) => this.completeKind(kind, due),
    trafficOn: () => this.trafficOn,
    running: () => this.running,
    count: (table, code) => countCode(table, code),
  };

  private async nodeReadLoop(session: NodeSession): Promise<void> {
    try {
      await session.readLoop();
    } catch (error) {
      if (!this.stopping && !session.closedByUs) count(this.counters.errors, error);
    } finally {
      session.stop();
      this.counters.connectionsUp--;
    }
  }

  private expireRequests(): void {
    const now = performance.now();
    for (const peer of this.peers) peer.node?.expire(now, this.spec.timeout);
  }

  private completeKind(kind: RequestKind, due: number): void {
    const ms = performance.now() - due;
    this.kindInterval.record(kind, ms);
    if (this.measuring) this.kindWindow.record(kind, ms);
  }

  private async readLoop(peer: Peer, conn: Conn): Promise<void> {
    try {
      for (;;) {
        let received = await conn.read();
        for (;;) {
          this.onMessage(peer, received.message);
          const next = conn.readNow();
          if (next === undefined) break;
          received = next;
        }
      }
    } catch (error) {
      // Our own close at the end is the normal way out; anything else ended it under load.
      if (!this.stopping) count(this.counters.errors, error);
    } finally {
      this.counters.connectionsUp--;
    }
  }

  private onMessage(peer: Peer, message: Uint8Array): void {
    this.counters.messagesReceived++;
    this.counters.bytesReceived += message.length;
    if (this.spec.mode !== 'echo') return;
    const head = peer.outstanding.shift();
    if (head === undefined) {
      countCode(this.counters.errors, 'UNEXPECTED_MESSAGE');
      return;
    }
    this.counters.inFlight--;
    if (message.length !== head.size || (head.size >= 4 && Buffer.from(message.buffer, message.byteOffset, 4).readUInt32BE(0) !== head.seq >>> 0)) {
      countCode(this.counters.errors, 'ECHO_MISMATCH');
    }
    this.complete(head);
    this.fill(peer);
  }

  private complete(entry: Outstanding): void {
    const now = performance.now();
    recordMs(this.interval, now - entry.due);
    if (this.measuring) {
      recordMs(this.window, now - entry.due);
      recordMs(this.uncorrected, now - entry.sent);
    }
  }

  // --- messages ----------------------------------------------------------------------------

  /** Sends while the peer has room: closed loop "now", open loop from its backlog. */
  private fill(peer: Peer): void {
    const conn = peer.conn;
    if (conn === undefined || conn.closed) return;
    const open = this.spec.rate !== undefined;
    while (this.running && this.trafficOn && peer.outstanding.length < this.spec.inFlight) {
      const due = open ? peer.backlog.shift() : performance.now();
      if (due === undefined) return;
      if (!this.send(peer, conn, due)) return;
    }
  }

  private send(peer: Peer, conn: Conn, due: number): boolean {
    const size = this.pickSize();
    const body = this.body(size);
    const seq = peer.seq++;
    // The echo is checked against this number (the first 4 bytes, when there are 4).
    if (size >= 4) body.writeUInt32BE(seq >>> 0, 0);
    const entry: Outstanding = { due, sent: performance.now(), size, seq };
    try {
      if (this.spec.mode === 'send') {
        // The body is encoded (copied) before writeSync returns; completions come in order.
        conn.writeSync(body).then(
          () => this.onWritten(peer),
          (error: unknown) => this.onWriteError(error),
        );
      } else if (!conn.writeNow(body)) {
        conn.write(body).catch((error: unknown) => this.onWriteError(error));
      }
    } catch (error) {
      this.onWriteError(error);
      return false;
    }
    peer.outstanding.push(entry);
    this.counters.messagesSent++;
    this.counters.bytesSent += size;
    this.counters.inFlight++;
    return true;
  }

  private onWritten(peer: Peer): void {
    const head = peer.outstanding.shift();
    if (head === undefined) return;
    this.counters.inFlight--;
    this.complete(head);
    // An uncongested socket settles writeSync at once, in a microtask: refilling from here would
    // chain microtasks without end and starve timers, dials and reads. Refill on the next turn.
    if (peer.refillScheduled) return;
    peer.refillScheduled = true;
    setImmediate(() => {
      peer.refillScheduled = false;
      this.fill(peer);
    });
  }

  private onWriteError(error: unknown): void {
    // A closed connection is counted once, by its read loop.
    const closed = error instanceof P2pError && error.code === 'CONNECTION_CLOSED';
    if (!this.stopping && !closed) count(this.counters.errors, error);
  }

  /** One reusable body per size: random bytes, its first 4 rewritten per message. */
  private body(size: number): Buffer {
    let body = this.scratch.get(size);
    if (body === undefined) {
      body = Buffer.alloc(size, 0xa5);
      for (let i = 0; i < size; i++) body[i] = (i * 131 + 7) & 0xff;
      this.scratch.set(size, body);
    }
    return body;
  }

  /**
   * Open loop: every 1/rate seconds one more message (churn: handshake) becomes due. Due times
   * are exact (start + i/rate); the timer only decides when we notice them (≤ ~1 ms late).
   */
  private async schedule(rate: number, from: number): Promise<void> {
    const interval = 1000 / rate;
    let due = from;
    while (this.running) {
      const now = performance.now();
      while (due <= now && this.running) {
        this.dispatch(due);
        due += interval;
      }
      await sleep(Math.max(1, Math.min(10, due - performance.now())));
    }
  }

  private dispatch(due: number): void {
    if (this.spec.mode === 'churn') {
      this.churnTickets.push(due);
      this.churnWaiters.shift()?.();
      return;
    }
    // Round robin over the connections that are up; with none up yet (ramp), the slot passes.
    for (let tries = 0; tries < this.peers.length; tries++) {
      const peer = this.peers[this.nextPeer++ % this.peers.length]!;
      if (peer.conn !== undefined && !peer.conn.closed) {
        peer.backlog.push(due);
        this.fill(peer);
        return;
      }
    }
  }

  // --- churn -------------------------------------------------------------------------------

  private async startChurn(): Promise<void> {
    for (let i = 0; i < this.spec.connections; i++) this.churnSlots.push(this.churnSlot(i));
  }

  private async churnSlot(index: number): Promise<void> {
    const open = this.spec.rate !== undefined;
    // Slots start staggered when paced, so handshakes do not all come at once.
    if (this.spec.ramp !== undefined) await sleep((index * 1000) / this.spec.ramp);
    while (this.running) {
      let due = performance.now();
      if (open) {
        const ticket = this.churnTickets.shift();
        if (ticket === undefined) {
          await new Promise<void>((resolve) => this.churnWaiters.push(resolve));
          continue;
        }
        due = ticket;
      }
      const started = performance.now();
      try {
        const conn = await this.open(index, bytesCodec);
        this.counters.handshakesOk++;
        this.counters.connectionsUp++;
        this.counters.peakConnections = Math.max(this.counters.peakConnections, this.counters.connectionsUp);
        this.complete({ due, sent: started, size: 0, seq: 0 });
        await conn.close().catch(() => undefined);
        this.counters.connectionsUp--;
      } catch (error) {
        count(this.counters.handshakeErrors, error);
        // A refusing target must not turn the slot into a busy loop.
        await sleep(10);
      }
    }
  }
}

function count(table: Record<string, number>, error: unknown): void {
  countCode(table, failureKey(error));
}

function countCode(table: Record<string, number>, code: string): void {
  table[code] = (table[code] ?? 0) + 1;
}
