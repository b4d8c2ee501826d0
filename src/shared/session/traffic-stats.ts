/**
 * Wire byte counters and their moving averages (`P2p_stat.t`, protocol.md §12.1–§12.2).
 *
 * OCaml ticks every connection once a second. With thousands of connections a timer each is
 * waste, so the average is brought up to date lazily, when a snapshot is taken, with the same
 * alpha (0.2).
 */
const TICK_MS = 1000;
const ALPHA = 0.2;
/**
 * Tick starts are kept from this instant: a small integer lives in the object, where a time since
 * 1970 needs a heap number of its own (16 B more on every connection) for the first 24 days.
 */
const EPOCH = Date.now();

/** The time on the clock tick starts are kept on (a small integer, where `Date.now()` is a heap number to keep). */
export function statsNow(): number {
  return sinceEpoch(Date.now());
}

/**
 * `now` (a `Date.now()`) as milliseconds from EPOCH, a small integer while it fits in 31 bits: a
 * difference of two doubles is itself a double, which a field keeps as a heap number of its own
 * (16 B on every connection) even when its value is whole and small.
 */
function sinceEpoch(now: number): number {
  const ms = now - EPOCH;
  return ms >= 0 && ms <= 0x7fffffff ? ms | 0 : ms;
}

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

/**
 * Both directions in one object: two MovingAverage objects per connection cost 128 B more on
 * every idle connection, in each thread that counts (bench/idle-memory.ts). Both directions are
 * folded together, on the same clock, so one tick start serves both.
 */
export class TrafficStats {
  private sentTotal = 0;
  private recvTotal = 0;
  private sentAverage = 0;
  private recvAverage = 0;
  /** Bytes counted since the last fold. */
  private sentPending = 0;
  private recvPending = 0;
  /** Milliseconds from EPOCH. */
  private tickStart: number;

  constructor(now = Date.now()) {
    this.tickStart = sinceEpoch(now);
  }

  /**
   * Stats whose tick started at `start` (a `statsNow()`), as if made then: counting what came
   * since and taking the first snapshot gives what stats made at `start` would have given.
   */
  static since(start: number): TrafficStats {
    const stats = new TrafficStats();
    stats.tickStart = start;
    return stats;
  }

  /** Counting reads no clock: it runs for every socket read and write. */
  addSent(bytes: number): void {
    this.sentTotal += bytes;
    this.sentPending += bytes;
  }

  addRecv(bytes: number): void {
    this.recvTotal += bytes;
    this.recvPending += bytes;
  }

  /** Running totals, without folding the averages (cheap: no clock read, no allocation). */
  get totalSent(): number {
    return this.sentTotal;
  }

  get totalRecv(): number {
    return this.recvTotal;
  }

  snapshot(now = Date.now()): Stat {
    this.advance(now);
    return {
      totalSent: this.sentTotal,
      totalRecv: this.recvTotal,
      currentInflow: Math.round(this.recvAverage),
      currentOutflow: Math.round(this.sentAverage),
    };
  }

  /**
   * Folds the whole ticks elapsed since the last fold: the bytes counted meanwhile are taken as
   * spread evenly over them, and each tick applies OCaml's update (alpha 0.2).
   */
  private advance(now: number): void {
    const elapsed = now - EPOCH - this.tickStart;
    if (elapsed < TICK_MS) return;
    const decay = (1 - ALPHA) ** Math.floor(elapsed / TICK_MS);
    const sentRate = (this.sentPending * 1000) / elapsed;
    const recvRate = (this.recvPending * 1000) / elapsed;
    this.sentAverage = sentRate + (this.sentAverage - sentRate) * decay;
    this.recvAverage = recvRate + (this.recvAverage - recvRate) * decay;
    this.sentPending = 0;
    this.recvPending = 0;
    this.tickStart = sinceEpoch(now - (elapsed % TICK_MS));
  }
}
