/**
 * `load --mode node` against `listen --node --workers 1`, next to `load --mode echo` (100-byte
 * messages) against `listen --workers 1 --echo`, with the same connections and in-flight depth,
 * alternated in one run so both see the same machine: node-mode requests/s (each answered by its
 * Current_head, Current_branch or Advertise) against echo round trips/s. The node run is a closed
 * loop past a real node's throttle (`--rate-per-connection max`): it measures our target, which
 * throttles nothing. The goal: node ≥ 0.7 × echo.
 *
 * Throughput swings with whatever else runs on the machine, so each run also reports the CPU
 * time the target and the generator spent per message (/proc), which swings far less, and the
 * ratio the two modes would have if both were bound by it.
 *
 * Prints a table and one JSON line. Usage:
 *   node bench/load-node-mode.ts [--connections=100] [--in-flight=8] [--seconds=5] [--warmup=1] [--repeats=3]
 * Everything runs on 127.0.0.1; the generator is pinned to CPU 0 and the target to CPU 1 when
 * taskset can, and the machine's load average is printed next to the numbers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuMs, lastJson, runCli, startListen, type Json } from './cli-runs.ts';
import { argValue, canPin, formatSpread, grouped, round, sleep, spread, type Spread } from './common.ts';

const argv = process.argv.slice(2);
const connections = Number(argValue(argv, 'connections') ?? 100);
const inFlight = Number(argValue(argv, 'in-flight') ?? 8);
const seconds = Number(argValue(argv, 'seconds') ?? 5);
const warmup = Number(argValue(argv, 'warmup') ?? 1);
const repeats = Number(argValue(argv, 'repeats') ?? 3);
/** The goal of docs/cli.md, "Node mode": node-mode requests/s over echo round trips/s. */
const GOAL = 0.7;

type Mode = 'echo' | 'node';

interface Sample {
  readonly mode: Mode;
  readonly perS: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly reached: number;
  readonly saturated: boolean;
  /** CPU µs per message received by the generator (echoes or answers): the target's, and the generator's (its start-up included). */
  readonly targetUsPerMessage: number | undefined;
  readonly generatorUsPerMessage: number | undefined;
}

const TARGET_FLAGS: Readonly<Record<Mode, readonly string[]>> = {
  echo: ['--workers', '1', '--echo', '--max-connections', String(connections + 100)],
  node: ['--workers', '1', '--node', '--points', '127.0.0.1:9732,127.0.0.1:9733', '--max-connections', String(connections + 100)],
};

const LOAD_FLAGS: Readonly<Record<Mode, readonly string[]>> = {
  echo: ['--mode', 'echo', '--size', '100'],
  node: ['--mode', 'node', '--rate-per-connection', 'max'],
};

function sum(table: unknown): number {
  return Object.values((table ?? {}) as Record<string, number>).reduce((a, b) => a + b, 0);
}

async function measure(dir: string, mode: Mode, run: number, pin: boolean): Promise<Sample> {
  const target = await startListen(dir, `${mode}-${run}`, TARGET_FLAGS[mode], pin ? 1 : undefined);
  try {
    const targetBefore = target.pid === undefined ? undefined : cpuMs(target.pid);
    const generatorBefore = cpuMs('self', true);
    const args = ['load', `127.0.0.1:${target.port}`, ...LOAD_FLAGS[mode], '--connections', String(connections), '--in-flight', String(inFlight), '--processes', '1', '--duration', String(seconds), '--warmup', String(warmup), '--json'];
    const result = await runCli(args, (seconds + warmup + 120) * 1000, pin ? 0 : undefined);
    const s: Json = lastJson(result.stdout);
    if (s['ok'] !== true) throw new Error(`${mode} run failed: ${result.stderr.slice(-2000)}`);
    const targetAfter = target.pid === undefined ? undefined : cpuMs(target.pid);
    const generatorAfter = cpuMs('self', true);
    const received = Number(s['messages_received']);
    const perMessage = (before: number | undefined, after: number | undefined): number | undefined => (before === undefined || after === undefined || received === 0 ? undefined : round(((after - before) * 1000) / received, 2));
    return {
      mode,
      perS: Number(s['msgs_per_s']),
      p50: Number(s['latency_ms']['p50']),
      p99: Number(s['latency_ms']['p99']),
      errors: sum(s['errors']),
      reached: Number(s['connections_reached']),
      saturated: s['generator_saturated'] === true,
      targetUsPerMessage: perMessage(targetBefore, targetAfter),
      generatorUsPerMessage: perMessage(generatorBefore, generatorAfter),
    };
  } finally {
    target.stop();
    await sleep(500);
  }
}

const dir = await mkdtemp(join(tmpdir(), 'p2p-socket-load-node-'));
try {
  const pin = canPin();
  const loadBefore = loadavg()[0]!;
  console.log(
    `load --mode node vs --mode echo (100-byte messages), ${connections} connections, ${inFlight} in flight each, ` +
      `${warmup} s warm-up + ${seconds} s measured, ${repeats} runs of each alternated${pin ? '; generator on CPU 0, target on CPU 1' : ''}`,
  );
  const samples: Sample[] = [];
  for (let run = 0; run < repeats; run++) {
    for (const mode of ['echo', 'node'] as const) samples.push(await measure(dir, mode, run, pin));
  }
  const loadAfter = loadavg()[0]!;
  const of = (mode: Mode, pick: (s: Sample) => number): Spread => spread(samples.filter((s) => s.mode === mode).map(pick));
  const rows = (['echo', 'node'] as const).map((mode) => ({
    mode,
    perS: of(mode, (s) => s.perS),
    p50: of(mode, (s) => s.p50),
    p99: of(mode, (s) => s.p99),
    errors: samples.filter((s) => s.mode === mode).reduce((a, s) => a + s.errors, 0),
    saturated: samples.some((s) => s.mode === mode && s.saturated),
    targetUs: of(mode, (s) => s.targetUsPerMessage ?? NaN),
    generatorUs: of(mode, (s) => s.generatorUsPerMessage ?? NaN),
  }));
  console.log('| mode | target | per second, median (min–max) | p50 ms | p99 ms | target CPU µs/msg | generator CPU µs/msg | errors | generator saturated |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---|');
  for (const r of rows) {
    const what = r.mode === 'echo' ? 'round trips' : 'requests';
    console.log(`| ${r.mode} | listen --workers 1${r.mode === 'node' ? ' --node' : ' --echo'} | ${what}: ${formatSpread(r.perS)} | ${formatSpread(r.p50, 2)} | ${formatSpread(r.p99, 2)} | ${formatSpread(r.targetUs, 1)} | ${formatSpread(r.generatorUs, 1)} | ${r.errors} | ${r.saturated ? 'yes' : 'no'} |`);
  }
  const ratio = rows[1]!.perS.median / rows[0]!.perS.median;
  // What the ratio would be if both runs were bound by the CPU they spend per message.
  const cpuRatio = (rows[0]!.targetUs.median + rows[0]!.generatorUs.median) / (rows[1]!.targetUs.median + rows[1]!.generatorUs.median);
  console.log(
    `node/echo = ${ratio.toFixed(2)} (goal ≥ ${GOAL}): ${ratio >= GOAL ? 'met' : 'NOT met'}; ${grouped(rows[1]!.perS.median)} requests/s vs ${grouped(rows[0]!.perS.median)} round trips/s; ` +
      `machine load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after`,
  );
  console.log(`CPU per message, target + generator: echo ${(rows[0]!.targetUs.median + rows[0]!.generatorUs.median).toFixed(1)} µs, node ${(rows[1]!.targetUs.median + rows[1]!.generatorUs.median).toFixed(1)} µs: a CPU-bound ratio of ${cpuRatio.toFixed(2)}`);
  console.log(
    JSON.stringify({
      bench: 'load-node-mode',
      connections,
      inFlight,
      seconds,
      warmup,
      repeats,
      pinned: pin,
      echoPerS: round(rows[0]!.perS.median, 0),
      nodePerS: round(rows[1]!.perS.median, 0),
      ratio: round(ratio, 3),
      cpuRatio: round(cpuRatio, 3),
      goal: GOAL,
      met: ratio >= GOAL,
      loadAverage: [round(loadBefore, 2), round(loadAfter, 2)],
      samples,
    }),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
