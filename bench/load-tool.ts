/**
 * How far `p2p-socket load` goes on this machine, measured with the tool itself against a
 * `p2p-socket listen --workers 2 --echo` target (docs/cli.md, "Capacity"):
 *
 *   A. one generator process (pinned to CPU 0, the target to CPU 1): echo round trips/s and its
 *      busy fraction for a few connection counts and in-flight depths (what one process sustains);
 *   B. 1..P generator processes on 1,000 connections: where adding processes stops adding
 *      throughput, i.e. the target (not the generator) is the bottleneck.
 *
 * Prints a table per part and one JSON line. Usage:
 *   node bench/load-tool.ts [--seconds=8] [--warmup=2] [--max-processes=4] [--quick]
 * Everything runs on 127.0.0.1; each run is bounded by its duration plus a timeout.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lastJson, runCli, startListen } from './cli-runs.ts';
import { argValue, canPin, median } from './common.ts';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const seconds = Number(argValue(argv, 'seconds') ?? (quick ? 3 : 8));
const warmup = Number(argValue(argv, 'warmup') ?? (quick ? 1 : 2));
const maxProcesses = Number(argValue(argv, 'max-processes') ?? (quick ? 2 : 4));

function startTarget(name: string, core: number | undefined): Promise<{ port: number; stop: () => void }> {
  return startListen(dir, name, ['--workers', '2', '--echo', '--allow-duplicate-peers', '--max-connections', '20000', '--max-handshakes', '1000'], core);
}

interface Row {
  readonly part: 'A' | 'B';
  readonly processes: number;
  readonly connections: number;
  readonly inFlight: number;
  readonly reached: number;
  readonly msgsPerS: number;
  readonly p50: number;
  readonly p99: number;
  readonly saturated: boolean;
  readonly busiest: string;
  readonly errors: number;
}

async function measure(part: 'A' | 'B', port: number, processes: number, connections: number, inFlight: number, core: number | undefined): Promise<Row> {
  const args = ['load', `127.0.0.1:${port}`, '--connections', String(connections), '--in-flight', String(inFlight), '--processes', String(processes), '--duration', String(seconds), '--warmup', String(warmup), '--json'];
  const run = await runCli(args, (seconds + warmup + 120) * 1000, core);
  const s = lastJson(run.stdout);
  const busy = /busy=(\d+)%/g;
  // The busiest process's busy fraction is printed per second on stderr; keep the window's median.
  const values = [...run.stderr.matchAll(busy)].map((m) => Number(m[1]));
  const window = values.slice(Math.floor(values.length / 3));
  const busiest = window.length > 0 ? median(window) : 0;
  const errors = Object.values((s['errors'] ?? {}) as Record<string, number>).reduce((a, b) => a + b, 0) + Object.values((s['handshake_errors'] ?? {}) as Record<string, number>).reduce((a, b) => a + b, 0);
  return {
    part,
    processes,
    connections,
    inFlight,
    reached: Number(s['connections_reached'] ?? 0),
    msgsPerS: Number(s['msgs_per_s'] ?? 0),
    p50: Number(s['latency_ms']?.['p50'] ?? 0),
    p99: Number(s['latency_ms']?.['p99'] ?? 0),
    saturated: s['generator_saturated'] === true,
    busiest: `${busiest}%`,
    errors,
  };
}

function table(rows: readonly Row[]): string {
  const head = '| processes | connections | in flight | reached | round trips/s | p50 ms | p99 ms | busiest generator | saturated | errors |';
  const rule = '|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|';
  const body = rows.map((r) => `| ${r.processes} | ${r.connections} | ${r.inFlight} | ${r.reached} | ${Math.round(r.msgsPerS).toLocaleString('en-US')} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.busiest} | ${r.saturated ? 'yes' : 'no'} | ${r.errors} |`);
  return [head, rule, ...body].join('\n');
}

const dir = await mkdtemp(join(tmpdir(), 'p2p-socket-load-tool-'));
const rows: Row[] = [];
try {
  const partA = quick ? [[100, 1], [1000, 8]] : [[100, 1], [100, 8], [1000, 1], [1000, 8], [4000, 1], [4000, 8]];
  // Part A pins the generator to CPU 0 and the target to CPU 1 (when taskset can), so that one
  // process's capacity is not the target's share of a core.
  const pin = canPin();
  console.log(`A. one generator process against listen --workers 2 --echo (${warmup} s warm-up, ${seconds} s measured, 100-byte messages${pin ? '; generator on CPU 0, target on CPU 1' : ''})`);
  for (const [connections, inFlight] of partA) {
    // A fresh target per run, so one run's connections never weigh on the next.
    const target = await startTarget(`a-${connections}-${inFlight}`, pin ? 1 : undefined);
    rows.push(await measure('A', target.port, 1, connections!, inFlight!, pin ? 0 : undefined));
    target.stop();
    await sleep(500);
  }
  console.log(table(rows.filter((r) => r.part === 'A')));
  console.log(`\nB. 1..${maxProcesses} generator processes, 1,000 connections, 8 in flight each (no pinning: all share the cores)`);
  for (let processes = 1; processes <= maxProcesses; processes++) {
    const target = await startTarget(`b-${processes}`, undefined);
    rows.push(await measure('B', target.port, processes, 1000, 8, undefined));
    target.stop();
    await sleep(500);
  }
  console.log(table(rows.filter((r) => r.part === 'B')));
  console.log(JSON.stringify({ bench: 'load-tool', seconds, warmup, rows }));
} finally {
  await rm(dir, { recursive: true, force: true });
}
