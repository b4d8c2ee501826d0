/**
 * One load run: P generator processes (generator-process.ts), connections split between them,
 * through its phases (ramp → warm-up → measured window → drain), with a time point every second
 * for the live view and the report, and the processes' final results merged exactly.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Identity } from '../../shared/identity.ts';
import { identityToJson } from '../../shared/identity.ts';
import { mergeEncoded, newLatencyHistogram, percentilesMs, type LatencyHistogram } from './latency-histogram.ts';
import type { SizeDistribution } from './message-sizes.ts';
import type { ChildMessage, GeneratorResult, ParentMessage, Tick } from './generator-protocol.ts';
import { COUNTER_TABLES, newCounters, type GeneratorCounters } from './generator-counters.ts';
import type { GeneratorSpec } from './generator-spec.ts';
import { decodeHistogram } from './latency-histogram.ts';
import { KindHistograms } from './kind-histograms.ts';
import type { RequestKind } from './node-mix.ts';

const GENERATOR_URL = new URL(`./generator-process${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/** A busy fraction above which a generator process counts as saturated (its loop never idles). */
export const SATURATED_BUSY = 0.9;

export type Phase = 'ramp' | 'warmup' | 'measure' | 'drain';

/** One second of the run, over all processes. */
export interface TimePoint {
  /** Seconds since the run started. */
  readonly t: number;
  readonly phase: Phase;
  readonly connectionsUp: number;
  readonly handshakesPerS: number;
  readonly sentPerS: number;
  readonly receivedPerS: number;
  readonly mbOutPerS: number;
  readonly mbInPerS: number;
  /** Latencies of this second, ms (0 without samples). */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly inFlight: number;
  /** The busiest process's busy fraction. */
  readonly busy: number;
  /** Node mode: latencies of this second by request kind, ms (kinds without answers left out). */
  readonly byKind: Readonly<Partial<Record<RequestKind, { readonly p50: number; readonly p99: number; readonly count: number }>>>;
}

/** The whole run: the generator spec's fields for all processes together, and the phases. */
export interface RunPlan extends GeneratorSpec {
  readonly processes: number;
  readonly warmup: number;
  readonly duration: number;
  readonly sizes: SizeDistribution;
  readonly identities: readonly Identity[];
}

export interface RunOutcome {
  readonly points: readonly TimePoint[];
  readonly results: readonly GeneratorResult[];
  /** Counters at the end, summed over processes. */
  readonly totals: GeneratorCounters;
  /** Counters of the measured window, summed. */
  readonly window: GeneratorCounters;
  readonly windowSeconds: number;
  /** The window's latencies over all processes, merged exactly. */
  readonly histogram: LatencyHistogram;
  /** Node mode: the same by request kind. */
  readonly kinds: KindHistograms;
  /** Whether some process was saturated during the window (mean busy ≥ SATURATED_BUSY). */
  readonly saturated: boolean;
  /** The busiest process's mean busy fraction over the window. */
  readonly busiest: number;
  /** Processes that failed (their message). */
  readonly failures: readonly string[];
}

/** Ticks come every 250 ms: one this late means the process could not run its timers. */
const STALLED_TICK_MS = 1000;

/** A process's busy fraction as of `now`: 1 while its ticks are missing. */
function busyNow(g: Generator, now: number): number {
  return now - g.lastTickAt > STALLED_TICK_MS && g.result === undefined ? 1 : g.lastBusy;
}

/** Splits `total` into `parts` shares that differ by at most one. */
export function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

class Generator {
  readonly child: ChildProcess;
  latest: GeneratorCounters = newCounters();
  ramped = false;
  result: GeneratorResult | undefined;
  failure: string | undefined;
  readonly pending: string[] = [];
  readonly busyInWindow: number[] = [];
  lastBusy = 0;
  lastTickAt = performance.now();
  readonly exited: Promise<void>;

  constructor(lifetimeMs: number, onTick: (g: Generator, tick: Tick) => void) {
    this.child = fork(fileURLToPath(GENERATOR_URL), [String(lifetimeMs)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    void this.exited.then(() => {
      if (!this.result && this.failure === undefined) this.failure = `generator process ${this.child.pid} exited early`;
    });
    this.child.on('message', (message: ChildMessage) => {
      if (message.kind === 'tick') onTick(this, message);
      else if (message.kind === 'ramped') this.ramped = true;
      else if (message.kind === 'result') this.result = message;
      else this.failure = message.message;
    });
  }

  send(message: ParentMessage): void {
    if (this.child.connected) this.child.send(message);
  }
}

function addCounters(into: GeneratorCounters, c: GeneratorCounters, sign = 1): void {
  into.connectionsUp += sign * c.connectionsUp;
  into.peakConnections += sign * c.peakConnections;
  into.handshakesOk += sign * c.handshakesOk;
  into.messagesSent += sign * c.messagesSent;
  into.messagesReceived += sign * c.messagesReceived;
  into.bytesSent += sign * c.bytesSent;
  into.bytesReceived += sign * c.bytesReceived;
  into.inFlight += sign * c.inFlight;
  into.unsolicited += sign * c.unsolicited;
  into.chainId ??= c.chainId;
  for (const table of COUNTER_TABLES) {
    const target = into[table];
    for (const [code, n] of Object.entries(c[table])) target[code] = (target[code] ?? 0) + sign * n;
  }
}

export function sumCounters(list: readonly GeneratorCounters[]): GeneratorCounters {
  const total = newCounters();
  for (const c of list) addCounters(total, c);
  return total;
}

/** `end − start`, by code too (codes that did not grow are dropped). */
export function counterDelta(end: GeneratorCounters, start: GeneratorCounters): GeneratorCounters {
  const delta = newCounters();
  addCounters(delta, end);
  addCounters(delta, start, -1);
  delta.connectionsUp = end.connectionsUp;
  delta.peakConnections = end.peakConnections;
  delta.inFlight = end.inFlight;
  delta.chainId = end.chainId;
  for (const name of COUNTER_TABLES) {
    const table = delta[name];
    for (const [code, n] of Object.entries(table)) if (n === 0) delete table[code];
  }
  return delta;
}

export async function runLoad(plan: RunPlan, onPoint: (point: TimePoint) => void, stopEarly: { requested: boolean }): Promise<RunOutcome> {
  const shares = split(plan.connections, plan.processes).filter((n) => n > 0);
  const rampSeconds = plan.ramp === undefined ? plan.connections / 20 : plan.connections / plan.ramp;
  const lifetimeMs = Math.ceil((rampSeconds + plan.warmup + plan.duration + 120) * 1000);
  let phase: Phase = 'ramp';
  let interval = newLatencyHistogram();
  let kindInterval = new KindHistograms();
  const onTick = (g: Generator, tick: Tick): void => {
    g.latest = tick.counters;
    g.lastBusy = tick.busy;
    g.lastTickAt = performance.now();
    if (phase === 'measure') g.busyInWindow.push(tick.busy);
    const part = decodeHistogram(tick.histogram);
    interval.add(part);
    part.destroy();
    kindInterval.addEncoded(tick.kinds);
  };
  const generators = shares.map(() => new Generator(lifetimeMs, onTick));
  const started = performance.now();
  const points: TimePoint[] = [];
  let previous = newCounters();
  let previousAt = started;
  const sample = (): void => {
    const now = performance.now();
    const total = sumCounters(generators.map((g) => g.latest));
    const seconds = Math.max(0.001, (now - previousAt) / 1000);
    const latency = percentilesMs(interval);
    interval.destroy();
    interval = newLatencyHistogram();
    const byKind = Object.fromEntries(
      kindInterval.kinds().map((kind) => {
        const histogram = kindInterval.get(kind)!;
        const p = percentilesMs(histogram);
        return [kind, { p50: p.p50, p99: p.p99, count: histogram.totalCount }];
      }),
    );
    kindInterval.destroy();
    kindInterval = new KindHistograms();
    const point: TimePoint = {
      t: Math.round((now - started) / 100) / 10,
      phase,
      connectionsUp: total.connectionsUp,
      handshakesPerS: (total.handshakesOk - previous.handshakesOk) / seconds,
      sentPerS: (total.messagesSent - previous.messagesSent) / seconds,
      receivedPerS: (total.messagesReceived - previous.messagesReceived) / seconds,
      mbOutPerS: (total.bytesSent - previous.bytesSent) / 1e6 / seconds,
      mbInPerS: (total.bytesReceived - previous.bytesReceived) / 1e6 / seconds,
      p50: latency.p50,
      p99: latency.p99,
      max: latency.max,
      errors: { ...total.handshakeErrors, ...total.errors },
      inFlight: total.inFlight,
      busy: Math.max(0, ...generators.map((g) => busyNow(g, now))),
      byKind,
    };
    previous = total;
    previousAt = now;
    points.push(point);
    onPoint(point);
  };
  const sampler = setInterval(sample, 1000);
  // A process that misses its ticks is too busy to run its timers (libuv serves many socket events
  // per loop turn before timers, so thousands of echoing connections can starve them for seconds).
  // Its window counts as saturated for every second its ticks are missing.
  const stallWatch = setInterval(() => {
    if (phase !== 'measure') return;
    const now = performance.now();
    for (const g of generators) if (now - g.lastTickAt > STALLED_TICK_MS) g.busyInWindow.push(1);
  }, 250);
  const failed = (): boolean => generators.some((g) => g.failure !== undefined);
  try {
    let first = 0;
    generators.forEach((g, i) => {
      const share = shares[i]!;
      const spec: GeneratorSpec = {
        host: plan.host,
        port: plan.port,
        mode: plan.mode,
        connections: share,
        ramp: plan.ramp === undefined ? undefined : (plan.ramp * share) / plan.connections,
        rate: plan.rate === undefined ? undefined : (plan.rate * share) / plan.connections,
        inFlight: plan.inFlight,
        chain: plan.chain,
        timeout: plan.timeout,
        connectConcurrency: Math.max(1, Math.floor(plan.connectConcurrency / generators.length)),
        node: plan.node,
      };
      const identities = Array.from({ length: share }, (_, k) => identityToJson(plan.identities[(first + k) % plan.identities.length]!));
      first += share;
      g.send({ kind: 'start', spec, sizes: plan.sizes, identities });
    });
    while (!generators.every((g) => g.ramped) && !failed() && !stopEarly.requested) await sleep(20);
    phase = 'warmup';
    await waitFor(plan.warmup * 1000, () => failed() || stopEarly.requested);
    phase = 'measure';
    for (const g of generators) g.send({ kind: 'measure' });
    await waitFor(plan.duration * 1000, () => failed() || stopEarly.requested);
    phase = 'drain';
    for (const g of generators) g.send({ kind: 'stop' });
    await Promise.race([Promise.all(generators.map((g) => g.exited)), sleep(15_000, undefined, { ref: false })]);
  } finally {
    clearInterval(sampler);
    clearInterval(stallWatch);
    for (const g of generators) if (g.child.exitCode === null) g.child.kill('SIGKILL');
  }
  sample();
  interval.destroy();
  kindInterval.destroy();
  const results = generators.flatMap((g) => (g.result ? [g.result] : []));
  const window = sumCounters(results.map((r) => counterDelta(r.windowEnd, r.windowStart)));
  // Connections stay up across the window: the peak of each process adds up.
  window.peakConnections = results.reduce((sum, r) => sum + r.counters.peakConnections, 0);
  const busyMeans = generators.map((g) => (g.busyInWindow.length === 0 ? 0 : g.busyInWindow.reduce((a, b) => a + b, 0) / g.busyInWindow.length));
  const busiest = Math.max(0, ...busyMeans);
  return {
    points,
    results,
    totals: sumCounters(results.map((r) => r.counters)),
    window,
    windowSeconds: Math.max(0, ...results.map((r) => r.windowMs)) / 1000,
    histogram: mergeEncoded(results.map((r) => r.histogram)),
    kinds: KindHistograms.merged(results.map((r) => r.kinds)),
    saturated: busiest >= SATURATED_BUSY,
    busiest,
    failures: generators.flatMap((g) => (g.failure === undefined ? [] : [g.failure])),
  };
}

/** Sleeps `ms`, waking early when `stop()` turns true (checked every 50 ms). */
async function waitFor(ms: number, stop: () => boolean): Promise<void> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline && !stop()) await sleep(Math.min(50, Math.max(1, deadline - performance.now())));
}
