/**
 * A pool's Prometheus metrics (prom-client), named after the node's `octez_p2p_*` families with a
 * `p2p_socket_` prefix. Every value is read when scraped (collect callbacks) from what main already
 * holds: the pool's counters, each connection's stat (for shards, the shared stats table the shard
 * writes anyway) and each shard handle's ring counters. Scraping therefore posts nothing to a
 * shard and costs the shards nothing (architecture.md §3).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import type { PoolStats } from './pool.ts';

/**
 * The `content-type` of the exposition text (Prometheus text format 0.0.4, prom-client's
 * `Registry.PROMETHEUS_CONTENT_TYPE`), known without loading prom-client.
 */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** prom-client's classes; the package is loaded on a pool's first scrape, not with the library. */
type PromClient = typeof import('prom-client');

const PREFIX = 'p2p_socket_';

/** Event-loop delay quantiles exported (seconds). */
const QUANTILES = [0.5, 0.9, 0.99] as const;

/** Sampling interval of the main thread's event-loop delay histogram (ms, perf_hooks default). */
const LOOP_RESOLUTION_MS = 10;

export class PoolMetrics {
  readonly registry: Registry;
  private readonly loopDelay: ReturnType<typeof monitorEventLoopDelay>;
  private snapshot: PoolStats | undefined;

  /** Loads prom-client and registers the families. @param stats the pool's `stats()`, read once per scrape */
  static async create(stats: () => PoolStats): Promise<PoolMetrics> {
    return new PoolMetrics(await import('prom-client'), stats);
  }

  private constructor({ Counter, Gauge, Registry }: PromClient, stats: () => PoolStats) {
    this.registry = new Registry();
    this.loopDelay = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    this.loopDelay.enable();
    const registers = [this.registry];
    // Every collect reads the same snapshot: the first one of a scrape takes it.
    const current = (): PoolStats => (this.snapshot ??= stats());
    type Fill = (set: (labels: Record<string, string | number>, value: number) => void, s: PoolStats) => void;
    // Each family is rebuilt from the snapshot at every scrape: reset, then inc (counter) or set (gauge).
    const family = (type: 'counter' | 'gauge', name: string, help: string, labelNames: string[], fill: Fill): void => {
      const configuration = { name: PREFIX + name, help, labelNames, registers };
      if (type === 'counter') {
        new Counter({ ...configuration, collect() { this.reset(); fill((labels, value) => this.inc(labels, value), current()); } });
      } else {
        new Gauge({ ...configuration, collect() { this.reset(); fill((labels, value) => this.set(labels, value), current()); } });
      }
    };
    const counter = (name: string, help: string, labelNames: string[], fill: Fill): void => family('counter', name, help, labelNames, fill);
    const gauge = (name: string, help: string, labelNames: string[], fill: Fill): void => family('gauge', name, help, labelNames, fill);

    gauge('connections', 'Established connections by direction and by the thread that runs them (a shard index, or main with workers: 0).', ['direction', 'shard'], (set, s) => {
      // Sharded, the shards' own mirrors; inline, every connection is on main.
      const threads = s.shards.length > 0 ? s.shards.map((shard) => ({ shard: String(shard.shard), ...shard.connectionsByDirection })) : [{ shard: 'main', ...s.connectionsByDirection }];
      for (const { shard, incoming, outgoing } of threads) {
        set({ direction: 'incoming', shard }, incoming);
        set({ direction: 'outgoing', shard }, outgoing);
      }
    });
    gauge('handshakes_in_flight', 'Incoming handshakes being run.', [], (set, s) => set({}, s.handshakesInFlight));
    counter('handshakes_total', 'Handshakes by outcome: started (incoming/outgoing), accepted, nacked, failed.', ['outcome'], (set, s) => {
      set({ outcome: 'incoming' }, s.handshakes.incoming);
      set({ outcome: 'outgoing' }, s.handshakes.outgoing);
      set({ outcome: 'accepted' }, s.accepted);
      set({ outcome: 'nacked' }, s.nacked);
      set({ outcome: 'failed' }, s.handshakes.failed);
    });
    counter('errors_total', 'Connection and pool failures by error code.', ['code'], (set, s) => {
      for (const [code, count] of Object.entries(s.errors)) set({ code }, count);
    });
    counter('messages_total', 'Messages queued for sending (sent) and delivered to readers (received).', ['direction'], (set, s) => {
      set({ direction: 'sent' }, s.messages.sent);
      set({ direction: 'received' }, s.messages.received);
    });
    counter('io_scheduler_bytes_total', 'Wire bytes written (sent) and read (received), handshake included (protocol.md §12.2).', ['direction'], (set, s) => {
      set({ direction: 'sent' }, s.io.totalSent);
      set({ direction: 'received' }, s.io.totalRecv);
    });
    gauge('io_scheduler_inflow_bytes_per_second', 'Moving average (alpha 0.2) of the download rate over established connections.', [], (set, s) => set({}, s.io.currentInflow));
    gauge('io_scheduler_outflow_bytes_per_second', 'Moving average (alpha 0.2) of the upload rate over established connections.', [], (set, s) => set({}, s.io.currentOutflow));
    gauge('pending_message_bytes', 'Bytes unfinished incoming messages hold, all shards together.', [], (set, s) => set({}, s.pendingMessageBytes));
    gauge('shard_up', 'Whether each shard worker is running.', ['shard'], (set, s) => {
      for (const shard of s.shards) set({ shard: shard.shard }, shard.alive ? 1 : 0);
    });
    counter('shard_restarts_total', 'Times each shard worker was replaced after dying.', ['shard'], (set, s) => {
      for (const shard of s.shards) set({ shard: shard.shard }, shard.restarts);
    });
    gauge('shard_ring_bytes', 'Bytes written to a ring and not yet read, by direction (to_shard, from_shard).', ['shard', 'direction'], (set, s) => {
      for (const shard of s.shards) {
        set({ shard: shard.shard, direction: 'to_shard' }, shard.ringToShardBytes);
        set({ shard: shard.shard, direction: 'from_shard' }, shard.ringFromShardBytes);
      }
    });
    gauge('shard_ring_to_shard_backlog', 'Records main holds back for want of space in the main to shard ring.', ['shard'], (set, s) => {
      for (const shard of s.shards) set({ shard: shard.shard }, shard.ringToShardBacklog);
    });
    counter('shard_doorbells_total', 'Ring wake-up messages, by direction (to_shard, from_shard).', ['shard', 'direction'], (set, s) => {
      for (const shard of s.shards) {
        set({ shard: shard.shard, direction: 'to_shard' }, shard.doorbellsSent);
        set({ shard: shard.shard, direction: 'from_shard' }, shard.doorbellsReceived);
      }
    });
    const loop = this.loopDelay;
    new Gauge({
      name: `${PREFIX}main_event_loop_delay_seconds`,
      help: 'Main thread event-loop delay since the pool started (perf_hooks.monitorEventLoopDelay).',
      labelNames: ['quantile'],
      registers,
      collect() {
        this.reset();
        for (const q of QUANTILES) this.set({ quantile: q }, loop.percentile(q * 100) / 1e9);
        this.set({ quantile: 'max' }, loop.max / 1e9);
      },
    });
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  async text(): Promise<string> {
    this.snapshot = undefined;
    try {
      return await this.registry.metrics();
    } finally {
      this.snapshot = undefined;
    }
  }

  stop(): void {
    this.loopDelay.disable();
  }
}
