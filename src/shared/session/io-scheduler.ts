/**
 * Bandwidth regulation of one thread's connections (`P2p_io_scheduler`, protocol.md §12.1): the
 * shard (or, with `workers: 0`, the main thread) side. docs/bandwidth.md explains the whole
 * algorithm; in short:
 *
 * - The pool's global limit is handed out by main every tick (bandwidth-coordinator.ts) as a grant
 *   per thread, written into a SharedArrayBuffer (`grants`); this side reads it on its own tick and
 *   refills its quota as OCaml does, `quota = min(quota, 0) + grant`, so overspending is debt.
 * - Each tick this side publishes its demand (how many of its connections did or wanted I/O),
 *   which is what main splits the next grants by: connections are served fairly pool-wide, not
 *   shard-wide. Nothing is posted per read or write: one Atomics.load and one store per tick.
 * - Per connection, `share.quota = min(share.quota, 0) + grant / active` each refill. A connection
 *   with a positive quota is high priority; one in debt is served only when no high-priority
 *   connection is waiting and its debt is under one share. Unlike OCaml, low-priority I/O is
 *   charged to the connection too: our unit of writing is a whole message (up to MBs), not a
 *   chunk, so one low-priority write can be large, and an uncharged one would be free
 *   (docs/bandwidth.md). The greedy test in test/bandwidth-regulation.test.ts fails without the
 *   per-connection quotas; it passes with OCaml's exact rule too, so this stricter charge is a
 *   precaution against large low-priority writes.
 * - Writes: a sealed message is written whole (OCaml never splits a chunk) once the quota is
 *   positive; its size is charged afterwards. Reads: what the socket delivered is handed on and
 *   charged in steps of at most `readBufferSize` bytes (OCaml's `read_buffer_size`); once the
 *   thread or connection quota is spent, the rest of that read waits and the socket is paused
 *   (TCP pushes back on the peer), so one connection overshoots by at most one step.
 *   Bytes on the wire are never changed.
 */

/** Refill period. OCaml refills once a second; 100 ms ticks with a tenth of the rate keep the same
 * long-run rate and debt rule with a tenth of the burst (docs/bandwidth.md). */
export const TICK_MS = 100;

export const UPLOAD = 0;
export const DOWNLOAD = 1;
export type Direction = typeof UPLOAD | typeof DOWNLOAD;

/** Int32 fields per thread and direction in the shared table. */
const FIELDS = 2;
/** Cumulative bytes granted by main (wrapping int32; the reader takes differences). */
const GRANTED = 0;
/** Connections of this thread that did or wanted I/O in its last tick. */
const DEMAND = 1;

/** The table main and every regulated thread share: `threads` slots, both directions. */
export function createBandwidthTable(threads: number): SharedArrayBuffer {
  return new SharedArrayBuffer(threads * 2 * FIELDS * Int32Array.BYTES_PER_ELEMENT);
}

function offset(thread: number, direction: Direction, field: number): number {
  return (thread * 2 + direction) * FIELDS + field;
}

/** Main's side of the table (bandwidth-coordinator.ts). */
export class BandwidthTable {
  private readonly cells: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.cells = new Int32Array(buffer);
  }

  grant(thread: number, direction: Direction, bytes: number): void {
    Atomics.add(this.cells, offset(thread, direction, GRANTED), bytes | 0);
  }

  demand(thread: number, direction: Direction): number {
    return Atomics.load(this.cells, offset(thread, direction, DEMAND));
  }
}

/** What a regulated connection exposes to its direction's regulator. */
export interface Share {
  /** This connection's quota, bytes; positive: high priority. */
  quota: number;
  /** Waiting for the next refill (a paused socket, a held write). */
  waiting: boolean;
  /** Did or wanted I/O since the last tick. */
  active: boolean;
  /** Called when it may do I/O again. */
  readonly wake: () => void;
}

/** One direction of one thread. */
class Regulator {
  private readonly cells: Int32Array;
  private readonly grantedAt: number;
  private readonly demandAt: number;
  private lastGranted: number;
  /** This thread's quota, bytes (negative: debt). */
  quota = 0;
  /** The per-connection share of the last refill: how deep in debt a low-priority connection may be and still be served. */
  private lastShare = 0;
  private readonly active = new Set<Share>();
  private readonly high: Share[] = [];
  private readonly low: Share[] = [];

  constructor(cells: Int32Array, thread: number, direction: Direction) {
    this.cells = cells;
    this.grantedAt = offset(thread, direction, GRANTED);
    this.demandAt = offset(thread, direction, DEMAND);
    this.lastGranted = Atomics.load(cells, this.grantedAt);
  }

  /** May `share` do I/O now: the thread has quota, and the connection has too or nobody with quota waits. */
  mayProceed(share: Share): boolean {
    if (this.quota <= 0) return false;
    return share.quota > 0 || (this.high.length === 0 && share.quota > -this.lastShare);
  }

  charge(share: Share, bytes: number): void {
    this.quota -= bytes;
    share.quota -= bytes;
    if (!share.active) {
      share.active = true;
      this.active.add(share);
    }
  }

  wait(share: Share): void {
    if (share.waiting) return;
    share.waiting = true;
    (share.quota > 0 ? this.high : this.low).push(share);
    if (!share.active) {
      share.active = true;
      this.active.add(share);
    }
  }

  forget(share: Share): void {
    this.active.delete(share);
    share.waiting = false;
    remove(this.high, share);
    remove(this.low, share);
  }

  /** One tick: take main's grant, refill, publish the demand, wake who may go. */
  tick(): void {
    const granted = Atomics.load(this.cells, this.grantedAt);
    const grant = (granted - this.lastGranted) | 0;
    this.lastGranted = granted;
    const demand = this.active.size;
    if (grant > 0) {
      this.quota = Math.min(this.quota, 0) + grant;
      const share = grant / Math.max(1, demand);
      this.lastShare = share;
      for (const s of this.active) s.quota = Math.min(s.quota, 0) + share;
    }
    // Those still waiting stay in the demand; the others must show activity again.
    for (const s of this.active) if (!s.waiting) s.active = false;
    for (const s of [...this.active]) if (!s.active) this.active.delete(s);
    Atomics.store(this.cells, this.demandAt, demand);
    if (this.quota <= 0) return;
    // Low-priority entries move up when their quota came back; high ones are served first.
    const waiting = [...this.high.splice(0), ...this.low.splice(0)];
    const later: Share[] = [];
    for (const s of waiting) {
      s.waiting = false;
      if (s.quota > 0) s.wake();
      else later.push(s);
    }
    for (const s of later) {
      if (this.mayProceed(s)) s.wake();
      else this.wait(s);
    }
  }

  get idle(): boolean {
    return this.active.size === 0 && this.high.length === 0 && this.low.length === 0;
  }
}

function remove(list: Share[], share: Share): void {
  const index = list.indexOf(share);
  if (index >= 0) list.splice(index, 1);
}

/** What a pool hands each thread that runs connections. */
export interface BandwidthConfig {
  readonly table: SharedArrayBuffer;
  readonly upload: boolean;
  readonly download: boolean;
  /** `readBufferSize`: the most bytes one regulated read step hands on and charges (transport.ts). */
  readonly readStep: number;
}

/** Both directions of one thread; the transport asks it before every write and after every read. */
export class IoScheduler {
  readonly upload: Regulator | undefined;
  readonly download: Regulator | undefined;
  readonly readStep: number;
  private connections = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(config: BandwidthConfig, thread: number) {
    const cells = new Int32Array(config.table);
    this.upload = config.upload ? new Regulator(cells, thread, UPLOAD) : undefined;
    this.download = config.download ? new Regulator(cells, thread, DOWNLOAD) : undefined;
    this.readStep = config.readStep;
  }

  /** A connection starts being regulated: the tick runs while any is. */
  attach(): void {
    if (this.connections++ === 0 && this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), TICK_MS);
      this.timer.unref();
    }
  }

  detach(...shares: Array<Share | undefined>): void {
    for (const share of shares) {
      if (share === undefined) continue;
      this.upload?.forget(share);
      this.download?.forget(share);
    }
    this.connections--;
  }

  private tick(): void {
    this.upload?.tick();
    this.download?.tick();
    if (this.connections === 0 && (this.upload?.idle ?? true) && (this.download?.idle ?? true)) {
      clearInterval(this.timer);
      this.timer = undefined;
      // The last tick published a demand of 0 for both: main stops weighting this thread.
    }
  }
}

export type { Regulator };
