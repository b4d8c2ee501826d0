/**
 * Wire byte counters and their moving averages (`P2p_stat.t`, protocol.md §12.1–§12.2).
 *
 * OCaml ticks every connection once a second. With thousands of connections a timer each is
 * waste, so the average is brought up to date lazily, when a snapshot is taken, with the same
 * alpha (0.2).
 */
const TICK_MS = 1000;
const ALPHA = 0.2;

export interface Stat {
  /** Bytes written to the socket, handshake, headers and tags included. */
  readonly totalSent: number;
  /** Bytes read from the socket. */
  readonly totalRecv: number;
  /** Moving average of the download rate, bytes/s. */
  readonly currentInflow: number;
  /** Moving average of the upload rate, bytes/s. */
  readonly currentOutflow: number;
}

class MovingAverage {
  total = 0;
  average = 0;
  private pending = 0;
  private tickStart: number;

  constructor(now: number) {
    this.tickStart = now;
  }

  /** Counting reads no clock: it runs for every socket read and write. */
  add(bytes: number): void {
    this.total += bytes;
    this.pending += bytes;
  }

  /**
   * Folds the whole ticks elapsed since the last fold: the bytes counted meanwhile are taken as
   * spread evenly over them, and each tick applies OCaml's update (alpha 0.2).
   */
  advance(now: number): void {
    const elapsed = now - this.tickStart;
    if (elapsed < TICK_MS) return;
    const ticks = Math.floor(elapsed / TICK_MS);
    const rate = (this.pending * 1000) / elapsed;
    this.average = rate + (this.average - rate) * (1 - ALPHA) ** ticks;
    this.pending = 0;
    this.tickStart = now - (elapsed % TICK_MS);
  }
}

export class TrafficStats {
  private readonly sent: MovingAverage;
  private readonly recv: MovingAverage;

  constructor(now = Date.now()) {
    this.sent = new MovingAverage(now);
    this.recv = new MovingAverage(now);
  }

  addSent(bytes: number): void {
    this.sent.add(bytes);
  }

  addRecv(bytes: number): void {
    this.recv.add(bytes);
  }

  /** Running totals, without folding the averages (cheap: no clock read, no allocation). */
  get totalSent(): number {
    return this.sent.total;
  }

  get totalRecv(): number {
    return this.recv.total;
  }

  snapshot(now = Date.now()): Stat {
    this.sent.advance(now);
    this.recv.advance(now);
    return {
      totalSent: this.sent.total,
      totalRecv: this.recv.total,
      currentInflow: Math.round(this.recv.average),
      currentOutflow: Math.round(this.sent.average),
    };
  }
}
