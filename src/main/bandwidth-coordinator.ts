/**
 * Main's half of bandwidth regulation (docs/bandwidth.md): the pool's global `maxUploadSpeed` /
 * `maxDownloadSpeed` is shared by every thread that runs connections (each shard, or the main
 * thread itself with `workers: 0`). Every tick main adds to each thread's grant
 * `rate × tick × demand_t / Σ demand`, where a thread's demand is the number of its connections
 * that did or wanted I/O in its last tick (read from the shared table, io-scheduler.ts). So the
 * whole pool gets the rate, split per connection rather than per shard, and main never hears
 * about single reads or writes.
 */
import { BandwidthTable, createBandwidthTable, DOWNLOAD, TICK_MS, UPLOAD, type BandwidthConfig, type Direction } from '../shared/session/io-scheduler.ts';

/** The most time one late tick grants for (2.5 ticks): catch-up for a late timer, not a burst after a stall. */
const MAX_CATCH_UP_MS = 250;

export interface BandwidthLimits {
  /** Bytes/s for the whole pool; 0 or undefined: unlimited. */
  readonly maxUploadSpeed?: number | undefined;
  readonly maxDownloadSpeed?: number | undefined;
  /** The most bytes one regulated read step takes (default DEFAULT_READ_BUFFER_SIZE). */
  readonly readBufferSize?: number | undefined;
}

/** OCaml's `read_buffer_size` default (protocol.md §12.1). */
export const DEFAULT_READ_BUFFER_SIZE = 16384;

export class BandwidthCoordinator {
  readonly config: BandwidthConfig;
  private readonly table: BandwidthTable;
  private readonly threads: number;
  private readonly rates: [number, number];
  private readonly timer: NodeJS.Timeout;
  private lastTick = performance.now();

  /** `undefined` when neither direction is limited: then nothing is regulated at all. */
  static create(limits: BandwidthLimits, threads: number): BandwidthCoordinator | undefined {
    const upload = limits.maxUploadSpeed ?? 0;
    const download = limits.maxDownloadSpeed ?? 0;
    const readStep = limits.readBufferSize ?? DEFAULT_READ_BUFFER_SIZE;
    return upload > 0 || download > 0 ? new BandwidthCoordinator(upload, download, readStep, threads) : undefined;
  }

  private constructor(upload: number, download: number, readStep: number, threads: number) {
    const buffer = createBandwidthTable(threads);
    this.table = new BandwidthTable(buffer);
    this.threads = threads;
    this.rates = [upload, download];
    this.config = { table: buffer, upload: upload > 0, download: download > 0, readStep };
    this.tick();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  private tick(): void {
    // A late timer (a busy main thread) grants for the time that really passed, so the rate does
    // not sag under load; at most MAX_CATCH_UP_MS worth after a stall, so a stall is not a burst.
    const now = performance.now();
    const elapsed = Math.min(MAX_CATCH_UP_MS, Math.max(0, now - this.lastTick)) || TICK_MS;
    this.lastTick = now;
    for (const direction of [UPLOAD, DOWNLOAD] as const) if (this.rates[direction] > 0) this.share(direction, elapsed);
  }

  private share(direction: Direction, elapsed: number): void {
    const refill = (this.rates[direction] * elapsed) / 1000;
    const demands: number[] = [];
    let total = 0;
    for (let thread = 0; thread < this.threads; thread++) {
      const demand = this.table.demand(thread, direction);
      demands.push(demand);
      total += demand;
    }
    // With no demand anywhere, every thread gets an equal part, so the first I/O need not wait a
    // tick; unused quota is dropped at the next refill (`min(quota, 0) + grant`), never hoarded.
    for (let thread = 0; thread < this.threads; thread++) {
      const weight = total > 0 ? demands[thread]! / total : 1 / this.threads;
      // Rounded up: a very small limit still lets every thread make progress (docs/bandwidth.md).
      if (weight > 0) this.table.grant(thread, direction, Math.max(1, Math.ceil(refill * weight)));
    }
  }

  close(): void {
    clearInterval(this.timer);
  }
}
