/**
 * The crawl's walk: the seed points first, then the points each peer handed over, breadth first
 * (a FIFO queue: every point of depth d is queued before any of depth d + 1 is discovered, since
 * depth d + 1 points come only from depth d answers). Bounded in every direction: at most
 * `maxPeers` dials, none deeper than `depth`, `concurrency` at once, and nothing started after
 * `maxTimeMs`, when the dials still running are aborted. It ends when the queue is empty and no
 * dial is running, or at one of those bounds.
 */
import { performance } from 'node:perf_hooks';
import { formatPoint, type Point } from '../../shared/wire/point.ts';

export interface CrawlLimits {
  /** Points dialled at most, seeds included. */
  readonly maxPeers: number;
  /** Seeds are at depth 0; a point first handed over by a depth-d peer is at depth d + 1. */
  readonly depth: number;
  /** Dials at once. */
  readonly concurrency: number;
  /** Nothing is dialled after this long, and the dials still running are aborted. */
  readonly maxTimeMs: number;
}

/** One dial, as the probe reports it, and where the walk found its point. */
export interface CrawlVisit<R> {
  readonly point: Point;
  /** `pointText(point)`: the key points are told apart by. */
  readonly key: string;
  readonly depth: number;
  /** The key of the peer that first handed the point over; `undefined` for a seed. */
  readonly via: string | undefined;
  readonly result: R;
}

/** Why a point that some peer handed over was not dialled. */
export type SkipReason = 'filtered' | 'too_deep' | 'no_port' | 'max_peers' | 'max_time' | 'interrupted';

export interface SkippedPoint {
  readonly point: Point;
  readonly key: string;
  readonly depth: number;
  /** `undefined`: a seed left undialled when the walk stopped. */
  readonly via: string | undefined;
  readonly reason: SkipReason;
}

export type StopReason = 'done' | 'max_peers' | 'max_time' | 'interrupted';

export interface CrawlWalk<R> {
  /** In the order the dials started. */
  readonly visits: readonly CrawlVisit<R>[];
  readonly skipped: readonly SkippedPoint[];
  readonly stoppedBy: StopReason;
  readonly durationMs: number;
}

export interface CrawlHooks<R> {
  /** Dials `point`; must settle soon after `signal` aborts. */
  readonly probe: (point: Point, signal: AbortSignal) => Promise<R>;
  /** The points a result hands over (Advertise, a Nack's alternatives). */
  readonly handedOver: (result: R) => readonly Point[];
  /** Whether a handed-over point may be dialled (`--only`); seeds always are. */
  readonly allows: (point: Point) => boolean;
  /** Each finished dial, for progress. */
  readonly onVisit?: (visit: CrawlVisit<R>, running: number, queued: number) => void;
  /** Set to stop early (Ctrl-C): nothing new is dialled and running dials are aborted. */
  readonly interrupt?: AbortSignal;
}

interface Queued {
  readonly point: Point;
  readonly key: string;
  readonly depth: number;
  readonly via: string | undefined;
}

/** `formatPoint`, or `host:port` for a seed given by host name (dialled as given). */
export function pointText(point: Point): string {
  try {
    return formatPoint(point);
  } catch {
    return `${point.host}:${point.port}`;
  }
}

export async function crawlBreadthFirst<R>(seeds: readonly Point[], limits: CrawlLimits, hooks: CrawlHooks<R>): Promise<CrawlWalk<R>> {
  const started = performance.now();
  const abort = new AbortController();
  const seen = new Set<string>();
  const queue: Queued[] = [];
  const visits: CrawlVisit<R>[] = [];
  const skipped: SkippedPoint[] = [];
  let stoppedBy: StopReason = 'done';
  let running = 0;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  let stopped = false;
  /** No new dial from now on; past the time limit or on Ctrl-C, the running ones are aborted. */
  const stop = (reason: StopReason): void => {
    if (!stopped) stoppedBy = reason;
    stopped = true;
    if (reason !== 'max_peers') abort.abort();
    notify();
  };
  const timer = setTimeout(() => stop('max_time'), limits.maxTimeMs);
  const onInterrupt = (): void => stop('interrupted');
  if (hooks.interrupt?.aborted) onInterrupt();
  hooks.interrupt?.addEventListener('abort', onInterrupt, { once: true });

  const discover = (point: Point, depth: number, via: string | undefined): void => {
    const key = pointText(point);
    if (seen.has(key)) return;
    seen.add(key);
    if (via !== undefined) {
      const reason: SkipReason | undefined = point.port === 0 ? 'no_port' : !hooks.allows(point) ? 'filtered' : depth > limits.depth ? 'too_deep' : undefined;
      if (reason !== undefined) {
        skipped.push({ point, key, depth, via, reason });
        return;
      }
    }
    queue.push({ point, key, depth, via });
  };

  const dial = async (item: Queued): Promise<void> => {
    running++;
    try {
      const result = await hooks.probe(item.point, abort.signal);
      const visit: CrawlVisit<R> = { point: item.point, key: item.key, depth: item.depth, via: item.via, result };
      visits.push(visit);
      for (const point of hooks.handedOver(result)) discover(point, item.depth + 1, item.key);
      hooks.onVisit?.(visit, running - 1, queue.length);
    } finally {
      running--;
      notify();
    }
  };

  for (const seed of seeds) discover(seed, 0, undefined);
  const dials: Promise<void>[] = [];
  let dialled = 0;
  try {
    for (;;) {
      if (stopped) break;
      if (queue.length > 0 && dialled >= limits.maxPeers) {
        stop('max_peers');
        break;
      }
      if (queue.length > 0 && running < limits.concurrency) {
        dialled++;
        dials.push(dial(queue.shift()!));
        continue;
      }
      if (queue.length === 0 && running === 0) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    await Promise.all(dials);
  } finally {
    clearTimeout(timer);
    hooks.interrupt?.removeEventListener('abort', onInterrupt);
  }
  // What is still queued was found but not dialled, for the reason the walk stopped.
  const reason: SkipReason = stoppedBy === 'done' ? 'max_time' : stoppedBy;
  for (const item of queue) skipped.push({ ...item, reason });
  return { visits, skipped, stoppedBy, durationMs: performance.now() - started };
}
