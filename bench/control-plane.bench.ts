/**
 * The control plane between main and a shard (architecture.md §4): what one comlink call costs,
 * and which way shard events should travel.
 *
 * - calls: round trips main → worker → main, one at a time (latency) and 64 in flight
 *   (throughput), through
 *     comlink:     `Comlink.wrap` over the node adapter (what ShardEngine uses);
 *     postMessage: a hand-written request/response with ids (the baseline comlink replaces).
 *   The worker's method returns a small object, as `stats()` does.
 * - events (worker → main, no reply; what a shard's `dropped` is): N events sent as fast as
 *   the worker can, timed until main has seen the last, through
 *     typed message: `parentPort.postMessage({ t, … })` (what the shard uses);
 *     comlink proxy:  a main-thread callback passed with `Comlink.proxy`, called per event.
 *
 * Run: ./node_modules/.bin/node bench/control-plane.bench.ts [--quick] [--repeats=N]
 * Last line: one JSON object (µs per call / per event, medians over repeats).
 * This file is also its own worker, started with `new Worker(import.meta.url)`.
 */
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import * as Comlink from 'comlink/dist/esm/comlink.mjs';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { countArg, formatSpread, round, spread } from './common.ts';

interface BenchApi {
  stats(): Record<string, number>;
  /** Emits `count` events to `callback`, as fast as it can; resolves when all are sent. */
  emitThroughProxy(count: number, callback: (id: number) => void): Promise<void>;
}

type Raw = { readonly t: 'call'; readonly id: number } | { readonly t: 'emit'; readonly count: number };

const SAMPLE_STATS = { handshaking: 3, authenticated: 1, accepting: 0, established: 120 };

function serveWorker(): void {
  const port = parentPort!;
  const api: BenchApi = {
    stats: () => SAMPLE_STATS,
    emitThroughProxy: async (count, callback) => {
      for (let i = 0; i < count; i++) void callback(i);
    },
  };
  port.on('message', (message: Raw) => {
    if (message.t === 'call') port.postMessage({ t: 'reply', id: message.id, value: SAMPLE_STATS });
    else if (message.t === 'emit') for (let i = 0; i < message.count; i++) port.postMessage({ t: 'dropped', connection: i, error: { code: 'TIMEOUT', message: 'x' } });
  });
  Comlink.expose(api, nodeEndpoint(port));
}

/** The hand-written request/response the comlink calls replace. */
class RawCaller {
  private nextId = 1;
  private readonly pending = new Map<number, (value: unknown) => void>();
  readonly events: Array<() => void> = [];
  private readonly worker: Worker;
  constructor(worker: Worker) {
    this.worker = worker;
    worker.on('message', (message: { t: string; id?: number; connection?: number }) => {
      if (message.t === 'reply') {
        const resolve = this.pending.get(message.id!);
        this.pending.delete(message.id!);
        resolve?.(undefined);
      } else if (message.t === 'dropped') this.events.shift()?.();
    });
  }
  call(): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ t: 'call', id } satisfies Raw);
    });
  }
}

async function timeCalls(call: () => Promise<unknown>, total: number, inFlight: number): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        next++;
        await call();
      }
    }),
  );
  return ((performance.now() - started) * 1000) / total;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const repeats = countArg(process.argv, 'repeats', quick ? 3 : 7);
  const calls = quick ? 2_000 : 20_000;
  const events = quick ? 5_000 : 50_000;
  const worker = new Worker(new URL(import.meta.url));
  const remote = Comlink.wrap<BenchApi>(nodeEndpoint(worker));
  const raw = new RawCaller(worker);
  await remote.stats(); // started
  const results: Record<string, number[]> = {};
  const add = (name: string, value: number): void => void (results[name] ??= []).push(value);
  for (let r = 0; r < repeats; r++) {
    add('comlink call, 1 in flight', await timeCalls(() => remote.stats(), calls, 1));
    add('postMessage call, 1 in flight', await timeCalls(() => raw.call(), calls, 1));
    add('comlink call, 64 in flight', await timeCalls(() => remote.stats(), calls, 64));
    add('postMessage call, 64 in flight', await timeCalls(() => raw.call(), calls, 64));
    {
      let seen = 0;
      const started = performance.now();
      await new Promise<void>((resolve) => {
        for (let i = 0; i < events; i++) raw.events.push(() => void (++seen === events && resolve()));
        worker.postMessage({ t: 'emit', count: events } satisfies Raw);
      });
      add('event as typed message', ((performance.now() - started) * 1000) / events);
    }
    {
      let seen = 0;
      const started = performance.now();
      await new Promise<void>((resolve) => {
        const callback = Comlink.proxy((): void => {
          if (++seen === events) resolve();
        });
        void remote.emitThroughProxy(events, callback);
      });
      add('event through comlink proxy', ((performance.now() - started) * 1000) / events);
    }
  }
  await worker.terminate();
  console.log(`control plane: ${calls} calls, ${events} events per run, ${repeats} runs (median (min–max) µs)`);
  console.log('| path | µs each |');
  console.log('| --- | --- |');
  const summary: Record<string, number> = {};
  for (const [name, values] of Object.entries(results)) {
    console.log(`| ${name} | ${formatSpread(spread(values), 2)} |`);
    summary[name] = round(spread(values).median, 2);
  }
  console.log(JSON.stringify({ bench: 'control-plane', unit: 'µs', calls, events, repeats, median: summary }));
}

if (isMainThread) await main();
else serveWorker();
