/**
 * `load --mode node`: the traffic of one generator connection, as a valid peer of a Tezos-family
 * node (docs/cli.md, "Node mode"; docs/messages.md, "How a node uses them").
 *
 * - The chain comes from the node's own Get_current_branch, sent right after the Ack, or from
 *   `--chain-id`. The first request is then Get_current_branch: a node answers Get_current_head
 *   only on a chain the peer activated that way.
 * - Requests follow the mix (node-mix.ts). Open loop by default: each kind on each connection is
 *   due at a fixed period (`ratePerConnection` × its share), its latency measured from when it was
 *   due to its answer, so a node that holds a request back shows it. Without a rate
 *   (`--rate-per-connection max`), closed loop: `inFlight` requests outstanding, kinds taken in
 *   turn by smooth weighted round robin.
 * - Answers are matched to requests by kind, oldest first: Current_head to Get_current_head,
 *   Current_branch to Get_current_branch, Advertise to Bootstrap. One that matches nothing is a
 *   node's own announcement (a new head), counted apart. A request unanswered within `timeout`
 *   is given up (a node that knows no points never answers Bootstrap).
 * - The node's own requests about its chain are answered with its own head, the only head a
 *   generator may announce without looking like an attacker, and an empty mempool; at most
 *   one such answer of each kind per throttle spacing. Everything else the node sends is read and
 *   left unanswered.
 * - Every request sent sooner after the previous one of its kind than Octez v25's throttle spacing
 *   is counted (`early`): the summary says the run exceeded a real node's throttle.
 */
import { performance } from 'node:perf_hooks';
import { HashList } from '../../messages/hash-list.ts';
import { hashToBase58 } from '../../messages/hashes.ts';
import { peerMessageCodec } from '../../messages/peer-message-codec.ts';
import type { BlockHeader, PeerMessage } from '../../messages/peer-message.ts';
import { P2pError } from '../../shared/errors.ts';
import type { NodeMetadata } from '../../shared/wire/metadata.ts';
import { MESSAGE_PREFIX_LENGTH, type EncodedMessage } from '../../shared/session/encoded-message.ts';
import type { Connection } from '../../main/connection.ts';
import { REQUEST_KINDS, shares, THROTTLE_MARGIN, THROTTLE_SPACING_S, type Mix, type RequestKind } from './node-mix.ts';
import type { GeneratorCounters } from './generator-counters.ts';

export type NodeConnection = Connection<PeerMessage, NodeMetadata>;

export interface NodeTrafficSpec {
  readonly mix: Mix;
  /** The chain's 4 bytes as hex, from `--chain-id`; `undefined`: learnt from the node. */
  readonly chainId: string | undefined;
  /** Requests per second per connection, all kinds; `undefined`: closed loop with `inFlight`. */
  readonly ratePerConnection: number | undefined;
}

/** What a session reports to its generator. */
export interface NodeTrafficSink {
  readonly counters: GeneratorCounters;
  /** A request answered: when it was due (open loop) or sent (closed loop), performance.now(). */
  complete(kind: RequestKind, due: number): void;
  /** Whether requests beyond the first Get_current_branch may go (the ramp is over, or paced). */
  trafficOn(): boolean;
  /** Whether the generator still runs (false: stop sending). */
  running(): boolean;
  count(table: Record<string, number>, code: string): void;
}

interface Request {
  readonly due: number;
  readonly sent: number;
}

/** The request of each kind, and the byte size of its message (tag ‖ body). */
function requestMessage(kind: RequestKind, chainId: Uint8Array): PeerMessage {
  switch (kind) {
    case 'head':
      return { kind: 'Get_current_head', chainId };
    case 'branch':
      return { kind: 'Get_current_branch', chainId };
    case 'bootstrap':
      return { kind: 'Bootstrap' };
  }
}

/** The kind an answer answers. */
function answeredKind(message: PeerMessage): RequestKind | undefined {
  switch (message.kind) {
    case 'Current_head':
      return 'head';
    case 'Current_branch':
      return 'branch';
    case 'Advertise':
      return 'bootstrap';
    default:
      return undefined;
  }
}

const EMPTY_MEMPOOL = { knownValid: new HashList(), pending: new HashList() };

/** Spacing, ms, between two answers of one kind to the node's own requests. */
const ANSWER_SPACING_MS = THROTTLE_SPACING_S.head * THROTTLE_MARGIN * 1000;

export class NodeSession {
  readonly conn: NodeConnection;
  private readonly spec: NodeTrafficSpec;
  private readonly inFlight: number;
  private readonly sink: NodeTrafficSink;
  private chainId: Uint8Array | undefined;
  /** The node's latest head, from its answers: what we answer its own requests with. */
  private head: BlockHeader | undefined;
  /** The first Get_current_branch was answered: the chain is active, the mix may start. */
  private ready = false;
  private started = false;
  private readonly outstanding: Record<RequestKind, Request[]> = { head: [], branch: [], bootstrap: [] };
  private readonly lastSent: Partial<Record<RequestKind, number>> = {};
  private readonly timers = new Map<RequestKind, NodeJS.Timeout>();
  /** Closed loop: smooth weighted round robin state, and the weights' sum. */
  private readonly credit: Record<RequestKind, number> = { head: 0, branch: 0, bootstrap: 0 };
  private readonly weights: number;
  /** Each request encoded once for this connection; every send writes a copy (encoding is in place). */
  private readonly encoded = new Map<RequestKind, EncodedMessage>();
  private readonly answerOwed = { branch: false, head: false };
  private readonly answeredAt = { branch: -Infinity, head: -Infinity };
  private readonly attachedAt = performance.now();
  /** We closed it (NO_CHAIN_ID, the node's Disconnect): its read loop's end is no error. */
  closedByUs = false;

  constructor(conn: NodeConnection, spec: NodeTrafficSpec, inFlight: number, sink: NodeTrafficSink) {
    this.conn = conn;
    this.spec = spec;
    this.inFlight = inFlight;
    this.sink = sink;
    this.weights = REQUEST_KINDS.reduce((sum, kind) => sum + spec.mix[kind], 0);
    if (spec.chainId !== undefined) this.activate(Buffer.from(spec.chainId, 'hex'));
  }

  /** Requests sent and not yet answered. */
  get outstandingCount(): number {
    return this.outstanding.head.length + this.outstanding.branch.length + this.outstanding.bootstrap.length;
  }

  /** Reads until the connection ends; every message handled as it comes. */
  async readLoop(): Promise<void> {
    for (;;) {
      let received = await this.conn.read();
      for (;;) {
        this.sink.counters.messagesReceived++;
        this.sink.counters.bytesReceived += received.size;
        this.onMessage(received.message);
        const next = this.conn.readNow();
        if (next === undefined) break;
        received = next;
      }
    }
  }

  /** The generator's traffic starts (after the ramp): start the mix if the chain is active. */
  startTraffic(): void {
    if (this.ready) this.startMix();
  }

  /** No more requests; outstanding ones may still be answered. */
  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /**
   * Gives up requests older than `timeoutMs` (counted unanswered), and the connection when the
   * node named no chain within `timeoutMs` and none was given (NO_CHAIN_ID).
   */
  expire(now: number, timeoutMs: number): void {
    if (this.chainId === undefined && now - this.attachedAt > timeoutMs && !this.conn.closed) {
      this.sink.count(this.sink.counters.errors, 'NO_CHAIN_ID');
      this.closedByUs = true;
      void this.conn.close().catch(() => undefined);
      return;
    }
    let freed = false;
    for (const kind of REQUEST_KINDS) {
      const queue = this.outstanding[kind];
      while (queue.length > 0 && now - queue[0]!.sent > timeoutMs) {
        queue.shift();
        this.sink.counters.inFlight--;
        this.sink.count(this.sink.counters.unanswered, kind);
        freed = true;
      }
    }
    if (freed && this.started && this.spec.ratePerConnection === undefined) this.fillClosedLoop();
  }

  private activate(chainId: Uint8Array): void {
    this.chainId = chainId;
    this.sink.counters.chainId ??= hashToBase58('chainId', chainId);
    // Get_current_branch first, whatever the mix: it activates the chain for us on the node.
    this.send('branch', performance.now());
  }

  private onMessage(message: PeerMessage): void {
    const kind = answeredKind(message);
    if (kind !== undefined) {
      if (message.kind === 'Current_head') this.head = message.header;
      else if (message.kind === 'Current_branch') this.head = message.locator.currentHead;
      this.onAnswer(kind);
      this.payAnswers();
      return;
    }
    switch (message.kind) {
      case 'Get_current_branch':
        if (this.chainId === undefined) this.activate(message.chainId);
        if (this.isOurChain(message.chainId)) {
          this.answerOwed.branch = true;
          this.payAnswers();
        }
        return;
      case 'Get_current_head':
        if (this.isOurChain(message.chainId)) {
          this.answerOwed.head = true;
          this.payAnswers();
        }
        return;
      case 'Disconnect':
        this.closedByUs = true;
        void this.conn.close().catch(() => undefined);
        return;
      default:
        // Bootstrap (we know no points), Swap_request (no swaps), requests for blocks we do not
        // hold, Deactivate: a peer with nothing to offer stays silent.
        return;
    }
  }

  private isOurChain(chainId: Uint8Array): boolean {
    return this.chainId !== undefined && Buffer.from(chainId).equals(Buffer.from(this.chainId));
  }

  private onAnswer(kind: RequestKind): void {
    const request = this.outstanding[kind].shift();
    if (request === undefined) {
      this.sink.counters.unsolicited++;
      return;
    }
    this.sink.counters.inFlight--;
    this.sink.count(this.sink.counters.answers, kind);
    this.sink.complete(kind, request.due);
    if (!this.ready && kind === 'branch') {
      this.ready = true;
      if (this.sink.trafficOn()) this.startMix();
      return;
    }
    if (this.started && this.spec.ratePerConnection === undefined) this.fillClosedLoop();
  }

  /** Answers the node's pending requests with its own head, once per spacing of each kind. */
  private payAnswers(): void {
    if (!this.answerOwed.branch && !this.answerOwed.head) return;
    const head = this.head;
    const chainId = this.chainId;
    if (head === undefined || chainId === undefined || this.conn.closed) return;
    const now = performance.now();
    if (this.answerOwed.branch && now - this.answeredAt.branch >= ANSWER_SPACING_MS) {
      this.answerOwed.branch = false;
      this.answeredAt.branch = now;
      this.write({ kind: 'Current_branch', chainId, locator: { currentHead: head, history: new HashList() } });
    }
    if (this.answerOwed.head && now - this.answeredAt.head >= ANSWER_SPACING_MS) {
      this.answerOwed.head = false;
      this.answeredAt.head = now;
      this.write({ kind: 'Current_head', chainId, header: head, mempool: EMPTY_MEMPOOL });
    }
  }

  private startMix(): void {
    if (this.started || !this.sink.running()) return;
    this.started = true;
    const rate = this.spec.ratePerConnection;
    if (rate === undefined) {
      this.fillClosedLoop();
      return;
    }
    const share = shares(this.spec.mix);
    const now = performance.now();
    for (const kind of REQUEST_KINDS) {
      if (share[kind] === 0) continue;
      const period = 1000 / (rate * share[kind]);
      // A random phase, so that connections do not fire together; the first branch request
      // keeps the throttle's spacing from the one that activated the chain.
      const previous = kind === 'branch' ? this.lastSent.branch : undefined;
      const earliest = previous === undefined ? now : Math.max(now, previous + Math.min(period, THROTTLE_SPACING_S.branch * THROTTLE_MARGIN * 1000));
      const latest = previous === undefined ? now + period : Math.max(earliest, previous + period);
      this.schedule(kind, earliest + Math.random() * (latest - earliest), period);
    }
  }

  /** Open loop: `kind` due at `due`, then every `period` ms. */
  private schedule(kind: RequestKind, due: number, period: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(kind);
      if (!this.sink.running() || this.conn.closed) return;
      this.send(kind, due);
      // Due times stay exact whatever the timer's lateness: latency counts from them.
      this.schedule(kind, due + period, period);
    }, Math.max(0, due - performance.now()));
    this.timers.set(kind, timer);
  }

  /** Closed loop: sends until `inFlight` requests are outstanding. */
  private fillClosedLoop(): void {
    const mix = this.spec.mix;
    while (this.sink.running() && !this.conn.closed && this.outstandingCount < this.inFlight) {
      let best: RequestKind = 'head';
      for (const kind of REQUEST_KINDS) {
        this.credit[kind] += mix[kind];
        if (this.credit[kind] > this.credit[best]) best = kind;
      }
      this.credit[best] -= this.weights;
      if (!this.send(best, performance.now())) return;
    }
  }

  private send(kind: RequestKind, due: number): boolean {
    const now = performance.now();
    const previous = this.lastSent[kind];
    if (previous !== undefined && now - previous < THROTTLE_SPACING_S[kind] * 1000) this.sink.count(this.sink.counters.early, kind);
    if (!this.writeRequest(kind)) return false;
    this.lastSent[kind] = now;
    this.outstanding[kind].push({ due, sent: now });
    this.sink.count(this.sink.counters.requests, kind);
    this.sink.counters.inFlight++;
    return true;
  }

  private writeRequest(kind: RequestKind): boolean {
    let template = this.encoded.get(kind);
    try {
      if (template === undefined) {
        template = this.conn.encode(requestMessage(kind, this.chainId!));
        this.encoded.set(kind, template);
      }
      // A full queue (the node reads slowly): wait in the connection, as `write` does.
      if (!this.conn.writeEncodedNow(this.conn.copyEncodedMessage(template))) {
        this.conn.write(requestMessage(kind, this.chainId!)).catch((error: unknown) => this.onWriteError(error));
      }
    } catch (error) {
      this.onWriteError(error);
      return false;
    }
    this.sink.counters.messagesSent++;
    this.sink.counters.bytesSent += template.streamLength - MESSAGE_PREFIX_LENGTH;
    return true;
  }

  /** Writes without waiting; a full queue waits in the connection (the node reads slowly). */
  private write(message: PeerMessage): boolean {
    try {
      if (!this.conn.writeNow(message)) {
        this.conn.write(message).catch((error: unknown) => this.onWriteError(error));
      }
    } catch (error) {
      this.onWriteError(error);
      return false;
    }
    this.sink.counters.messagesSent++;
    this.sink.counters.bytesSent += messageSize(message);
    return true;
  }

  private onWriteError(error: unknown): void {
    // A closed connection is counted once, by its read loop.
    const closed = error instanceof P2pError && error.code === 'CONNECTION_CLOSED';
    if (this.sink.running() && !closed) this.sink.count(this.sink.counters.errors, error instanceof P2pError ? error.code : 'INTERNAL_ERROR');
  }
}

/** Bytes of an answer to the node (rare: at most one per throttle spacing). */
function messageSize(message: PeerMessage): number {
  return peerMessageCodec.encode(message).length;
}
