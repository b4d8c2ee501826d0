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
import { bytesCodec, type Connection, type Identity, type MessageCodec, type NodeMetadata } from '../../main/index.ts';
import { peerMessageCodec } from '../../messages/peer-message-codec.ts';
import { ChurnSlots } from './churn-slots.ts';
import { countCode, countFailure, newCounters } from './generator-counters.ts';
import { Peer, type Conn, type Outstanding } from './generator-peer.ts';
import type { GeneratorSpec } from './generator-spec.ts';
import { KindHistograms } from './kind-histograms.ts';
import { MessageFlow } from './message-flow.ts';
import { newLatencyHistogram, recordMs, type LatencyHistogram } from './latency-histogram.ts';
import { runOpenLoop } from './open-loop-clock.ts';
import type { RequestKind } from './node-mix.ts';
import { NodeSession, type NodeTrafficSink } from './node-traffic.ts';
import type { SizePicker } from './message-sizes.ts';
import { dialTarget, dialWithRetries } from './target-dial.ts';

type NodeConnectionOf = NodeSession['conn'];

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
  private readonly flow: MessageFlow;
  private running = false;
  /** Messages flow (set at start with `ramp`, after the ramp without). */
  private trafficOn = false;
  private stopping = false;
  private measuring = false;
  private startedAt = 0;
  private rampDone: Promise<void> | undefined;
  private scheduler: Promise<void> | undefined;
  private readonly churn: ChurnSlots;
  private nextPeer = 0;
  private elu: EventLoopUtilization = performance.eventLoopUtilization();

  constructor(spec: GeneratorSpec, identities: readonly Identity[], pickSize: SizePicker) {
    if (identities.length === 0) throw new RangeError('a generator needs at least one identity');
    this.spec = spec;
    this.identities = identities;
    this.pickSize = pickSize;
    this.churn = new ChurnSlots(spec, {
      counters: this.counters,
      dial: (index) => this.open(index, bytesCodec),
      complete: (entry) => this.complete(entry),
      running: () => this.running,
    });
    this.flow = new MessageFlow(spec, {
      counters: this.counters,
      pickSize: () => this.pickSize(),
      complete: (entry) => this.complete(entry),
      running: () => this.running,
      trafficOn: () => this.trafficOn,
      stopping: () => this.stopping,
    });
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
    this.rampDone = this.spec.mode === 'churn' ? this.churn.start() : this.openAll();
    await this.rampDone;
    if (!this.trafficOn && this.running) this.startTraffic();
  }

  private startTraffic(): void {
    this.trafficOn = true;
    if (this.spec.node !== undefined) {
      for (const peer of this.peers) peer.node?.startTraffic();
      return;
    }
    if (this.spec.rate !== undefined) this.scheduler = runOpenLoop(this.spec.rate, performance.now(), () => this.running, (due) => this.dispatch(due));
    for (const peer of this.peers) this.flow.fill(peer);
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
    this.churn.wakeAll();
    for (const peer of this.peers) peer.node?.stop();
    await this.scheduler;
    if (this.spec.mode !== 'churn') {
      const deadline = performance.now() + DRAIN_MS;
      while (this.liveOutstanding() > 0 && performance.now() < deadline) await sleep(10);
    }
    this.stopping = true;
    clearInterval(this.expiry);
    const closing = this.peers.map((peer) => (peer.conn ?? peer.node?.conn)?.close().catch(() => undefined));
    await Promise.race([Promise.all([...closing, this.churn.done(), this.rampDone]), sleep(DRAIN_MS, undefined, { ref: false })]);
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
    return dialTarget(this.spec, this.identities[index % this.identities.length]!, codec);
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

  private openPeer(peer: Peer): Promise<void> {
    return dialWithRetries(
      () => this.openPeerConnection(peer),
      (error) => countFailure(this.counters.handshakeErrors, error),
      () => this.running,
    );
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
    void this.flow.readLoop(peer, conn as Conn);
    this.flow.fill(peer);
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
      if (!this.stopping && !session.closedByUs) countFailure(this.counters.errors, error);
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

  private complete(entry: Outstanding): void {
    const now = performance.now();
    recordMs(this.interval, now - entry.due);
    if (this.measuring) {
      recordMs(this.window, now - entry.due);
      recordMs(this.uncorrected, now - entry.sent);
    }
  }

  /** Open loop: a message (churn: handshake) became due at `due` (open-loop-clock.ts). */
  private dispatch(due: number): void {
    if (this.spec.mode === 'churn') {
      this.churn.addTicket(due);
      return;
    }
    // Round robin over the connections that are up; with none up yet (ramp), the slot passes.
    for (let tries = 0; tries < this.peers.length; tries++) {
      const peer = this.peers[this.nextPeer++ % this.peers.length]!;
      if (peer.conn !== undefined && !peer.conn.closed) {
        peer.backlog.push(due);
        this.flow.fill(peer);
        return;
      }
    }
  }
}
