/**
 * Scaling model of the sharded pool (docs/scaling.md): measures the CPU each thread spends per
 * message, checks the model of bench/scale/model.ts against measured rates at 1 and 2 shards on
 * controlled core sets, and projects messages/s for 4, 8 and 16 cores.
 *
 * Workloads (bench/load's children, server and client in separate processes on loopback):
 *   echo     W2 echo: 100-byte messages, one in flight on each connection, echoed by the server
 *   ingest   W2 ingest: the same connections, all traffic sealed by the client before the clock
 *
 * Placements (`taskset`; the first is the calibration, whose server costs feed every prediction):
 *   1 shard, 2 cores   server on cores 0,1, client on cores 0,1 (its CPU counts against the cores)
 *   1 shard, 1 core    server on core 1, client on core 0
 *   2 shards, 2 cores  server on cores 0,1, client on cores 0,1
 *
 * Per run: main-thread CPU (`process.threadCpuUsage()`), each shard thread's CPU
 * (`pool.shardCpuUsage()`), the rest of the server process (helper threads) and the client
 * process's CPU, each divided by the messages the server's consumer read, and messages/s; echo
 * over its window, ingest over the whole flow (the shards read ahead of main, so only the whole
 * flow holds all the work for its messages). A run during which other
 * processes used more than 10 % of the machine is flagged NOISY and retried once; medians come
 * from the clean runs when there are any. The tables are Markdown; the LAST line is one JSON object.
 *
 * Run:  ./node_modules/.bin/node bench/scale.ts [--quick] [--repeats=3] [--seconds=2] [--warmup=1]
 *         [--connections=500] [--ingest-messages=N] [--only=echo,ingest] [--noisy-retries=1] [--retry-budget=150]
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { argValue, countArg, numberArg, round, spread } from './common.ts';
import { canPin, Child, childCommand, epochMs, sleep, type ChildMessage, type ChildSpec, type ParentCommand, type WindowReport, type WorkloadId } from './load/common.ts';
import type { LoadOptions } from './load/workload.ts';
import { WORKLOADS } from './load/workloads.ts';
import { errorPercent, LAYOUTS, predictRate, type Bound, type Costs, type Placement } from './scale/model.ts';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const REPEATS = Math.max(1, countArg(argv, 'repeats', QUICK ? 1 : 3));
const SECONDS = numberArg(argv, 'seconds', QUICK ? 1 : 2);
const WARMUP = numberArg(argv, 'warmup', QUICK ? 0.5 : 1);
const CONNECTIONS = Math.round(numberArg(argv, 'connections', QUICK ? 200 : 500));
/**
 * Per connection: about 4 s of flow at the fastest placement (~800k/s; 1.6 s with --quick), long
 * against the start (data on its way) and the end (main reading what the shards read ahead, up to
 * 256 KiB per connection), when some cores idle.
 */
const INGEST_MESSAGES = Math.round(numberArg(argv, 'ingest-messages', Math.ceil((800_000 * (QUICK ? 1.6 : 4)) / CONNECTIONS)));
const NOISY_RETRIES = countArg(argv, 'noisy-retries', QUICK ? 0 : 1);
/** No retry of a noisy run once this many seconds have passed (a quiet machine needs ~150 s in all). */
const RETRY_BUDGET_S = numberArg(argv, 'retry-budget', 150);
/** A run during which other processes used more than this share of the machine is NOISY. */
const NOISY_SHARE = 0.1;
/** The target of the issue: predictions within this many percent of the measurement. */
const TARGET_ERROR_PCT = 15;
const PROJECTED_CORES = [4, 8, 16] as const;

const WORKLOAD_IDS = { echo: 'W2-echo', ingest: 'W2-ingest' } as const satisfies Record<string, WorkloadId>;
type WorkloadName = keyof typeof WORKLOAD_IDS;

interface Scenario {
  readonly label: string;
  readonly shards: number;
  /** Cores the server may use. */
  readonly cores: number;
  /** taskset CPU lists; undefined: unpinned. */
  readonly serverCpus: string | undefined;
  readonly clientCpus: string | undefined;
  /** The client runs on the server's cores. */
  readonly clientShares: boolean;
}

const PINNED = canPin();
const SCENARIOS: readonly Scenario[] = PINNED
  ? [
      { label: '1 shard, 2 cores', shards: 1, cores: 2, serverCpus: '0,1', clientCpus: '0,1', clientShares: true },
      { label: '1 shard, 1 core', shards: 1, cores: 1, serverCpus: '1', clientCpus: '0', clientShares: false },
      { label: '2 shards, 2 cores', shards: 2, cores: 2, serverCpus: '0,1', clientCpus: '0,1', clientShares: true },
    ]
  : [
      { label: '1 shard, all cores', shards: 1, cores: cpus().length, serverCpus: undefined, clientCpus: undefined, clientShares: true },
      { label: '2 shards, all cores', shards: 2, cores: cpus().length, serverCpus: undefined, clientCpus: undefined, clientShares: true },
    ];

function selectedWorkloads(): WorkloadName[] {
  const text = argValue(argv, 'only');
  if (text === undefined) return ['echo', 'ingest'];
  const names = text.split(',').map((t) => t.trim());
  for (const name of names) if (!(name in WORKLOAD_IDS)) throw new RangeError(`--only: unknown workload ${name} (known: echo, ingest)`);
  return names as WorkloadName[];
}

const loadOptions: LoadOptions = {
  quick: QUICK,
  repeats: REPEATS,
  seconds: SECONDS,
  warmup: WARMUP,
  echoConnections: CONNECTIONS,
  memoryConnections: CONNECTIONS,
  ingestMessages: INGEST_MESSAGES,
  inFlight: 64,
  workers: 1,
  messageSize: 100,
  bulkMessageSize: 64 * 1024,
};

// ====================================================================== one run

/** Each core's CPU so far, ms: user + nice + system, and the kernel's irq + softirq (/proc/stat). */
function coreTimes(): { busy: number[]; kernel: number[] } | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
  const busy: number[] = [];
  const kernel: number[] = [];
  for (const line of text.split('\n')) {
    const match = /^cpu(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+\d+\s+\d+\s+(\d+)\s+(\d+)/.exec(line);
    if (!match) continue;
    const [user, nice, system, irq, softirq] = match.slice(2).map(Number) as [number, number, number, number, number];
    busy[Number(match[1])] = (user + nice + system) * 10; // USER_HZ = 100
    kernel[Number(match[1])] = (irq + softirq) * 10;
  }
  return busy.length > 0 ? { busy, kernel } : undefined;
}

/** Milliseconds between two readings, summed over `cores` (all cores when undefined). */
function spent(before: readonly number[], after: readonly number[], cores: readonly number[] | undefined): number {
  return (cores ?? after.map((_, i) => i)).reduce((sum, core) => sum + (after[core] ?? 0) - (before[core] ?? 0), 0);
}

/** A taskset CPU list as core numbers (undefined: every core). */
function coreList(cpuList: string | undefined): number[] | undefined {
  return cpuList?.split(',').map(Number);
}

/** One run's per-message costs (µs) and rate. */
interface Sample {
  readonly rate: number;
  readonly main: number;
  readonly shard: number;
  readonly helpers: number;
  readonly client: number;
  /** The kernel's irq + softirq time (loopback networking, in no process's CPU) on the server's cores. */
  readonly kernel: number;
  /** The same on the client's cores when they are not the server's. */
  readonly clientKernel: number;
  /** Share of the machine other processes used over the span (0–1); NaN when unknown. */
  readonly otherShare: number;
}

const isNoisy = (sample: Sample): boolean => sample.otherShare > NOISY_SHARE;

/**
 * One run. Echo: warm-up, then a window (mark → report). Ingest: the client's whole flow; the
 * server splits its CPU over all of it and measures its rate over the flow's steady part.
 */
async function runOnce(name: WorkloadName, scenario: Scenario): Promise<Sample> {
  const workload = WORKLOADS[WORKLOAD_IDS[name]];
  const params = { ...workload.params(loadOptions), workers: scenario.shards };
  const fds = params.connections + 1024;
  const base: Omit<ChildSpec, 'role'> = { workload: workload.id, system: 'p2p-sharded', params };
  const children: Child<ChildMessage>[] = [];
  try {
    const server = new Child<ChildMessage>(`${name} server`, ...childCommand({ ...base, role: 'server' }, { core: scenario.serverCpus, fds }));
    children.push(server);
    const { port } = await server.expect('listening', 60_000);
    const client = new Child<ChildMessage>(`${name} client`, ...childCommand({ ...base, role: 'client', port }, { core: scenario.clientCpus, fds }));
    children.push(client);
    await client.expect('ready', 120_000);
    // Ingest: the client's span is the whole flow too, from before it writes its first byte.
    if (params.flow) client.send({ type: 'mark', at: epochMs() } satisfies ParentCommand);
    for (const child of children) child.send({ type: 'start' });
    if (!params.flow) {
      await sleep(WARMUP * 1000);
      const markAt = epochMs();
      for (const child of children) child.send({ type: 'mark', at: markAt } satisfies ParentCommand);
    }
    const before = coreTimes();
    const spanStart = performance.now();
    if (params.flow) await server.expect('drained', 120_000);
    else await sleep(SECONDS * 1000);
    const after = coreTimes();
    const spanMs = performance.now() - spanStart;
    const reportAt = epochMs();
    for (const child of children) child.send({ type: 'report', at: reportAt } satisfies ParentCommand);
    const [s, c] = await Promise.all([server.expect('report', 30_000), client.expect('report', 30_000)]);
    const machine =
      before && after
        ? {
            busy: spent(before.busy, after.busy, undefined),
            kernel: spent(before.kernel, after.kernel, coreList(scenario.serverCpus)),
            clientKernel: scenario.clientShares ? 0 : spent(before.kernel, after.kernel, coreList(scenario.clientCpus)),
            spanMs,
          }
        : undefined;
    return sampleOf(s.report, c.report, machine);
  } finally {
    for (const child of [...children].reverse()) {
      child.send({ type: 'stop' });
      await child.expect('stopped', 20_000).catch(() => undefined);
      await child.finish(10_000);
    }
  }
}

/**
 * Rate and costs over the same span (the thread split's): echo's window, or ingest's whole flow,
 * from 'start' to the last message read. Over the whole flow every thread's work for every
 * message is inside the span, so where the cores bind the rate is theirs even though the
 * shards run ahead of main; only the start and the end, when some cores idle, pull it down.
 */
function sampleOf(server: WindowReport, client: WindowReport, machine: { busy: number; kernel: number; clientKernel: number; spanMs: number } | undefined): Sample {
  const split = server.threads;
  if (!split || split.ops <= 0 || split.spanMs <= 0 || split.shardCpuUs.some((us) => !Number.isFinite(us))) throw new Error("no message in the span, or the server did not report its threads' CPU");
  const shardUs = split.shardCpuUs.reduce((sum, us) => sum + us, 0);
  const oursMs = (split.cpuUs + client.cpuUs) / 1000;
  return {
    rate: split.ops / (split.spanMs / 1000),
    main: split.mainCpuUs / split.ops,
    shard: shardUs / split.ops,
    helpers: Math.max(0, split.cpuUs - split.mainCpuUs - shardUs) / split.ops,
    client: client.cpuUs / split.ops,
    kernel: machine ? (machine.kernel * 1000) / split.ops : NaN,
    clientKernel: machine ? (machine.clientKernel * 1000) / split.ops : NaN,
    otherShare: machine ? Math.max(0, machine.busy - oursMs) / machine.spanMs / cpus().length : NaN,
  };
}

// ====================================================================== tables

/** The medians of a placement's clean runs (all runs when none was clean). */
function medianSample(samples: readonly Sample[]): Sample {
  const clean = samples.filter((s) => !isNoisy(s));
  const use = clean.length > 0 ? clean : samples;
  const of = (key: keyof Sample): number => spread(use.map((s) => s[key])).median;
  return { rate: of('rate'), main: of('main'), shard: of('shard'), helpers: of('helpers'), client: of('client'), kernel: of('kernel'), clientKernel: of('clientKernel'), otherShare: of('otherShare') };
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i < 2 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

const grouped = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '∞');
const us = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '–');
const pct = (share: number): string => (Number.isFinite(share) ? `${(share * 100).toFixed(0)} %` : '–');
const signed = (n: number): string => `${n >= 0 ? '+' : ''}${n.toFixed(1)} %`;

// ====================================================================== main

interface Validation {
  readonly workload: WorkloadName;
  readonly scenario: Scenario;
  readonly measured: Sample;
  readonly runs: number;
  readonly cleanRuns: number;
  readonly predicted: number;
  readonly bound: Bound;
  readonly errorPct: number;
  /** The server's CPU per message here against the calibration's: how far the model's constant-cost assumption held. */
  readonly costDriftPct: number;
}

const serverTotal = (sample: Sample): number => sample.main + sample.shard + sample.helpers;

async function main(): Promise<void> {
  const began = performance.now();
  const names = selectedWorkloads();
  const loadBefore = loadavg();
  console.log(
    `scale benchmark: node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown cpu'}; ${REPEATS} repeat(s), ` +
      `echo: ${SECONDS} s windows after ${WARMUP} s warm-up; ${CONNECTIONS} connections; ingest: ${INGEST_MESSAGES} messages per connection; ` +
      `${PINNED ? 'pinned with taskset' : 'taskset unavailable: unpinned, all cores'}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const samples = new Map<string, Sample[]>();
  const key = (name: WorkloadName, scenario: Scenario): string => `${name}/${scenario.label}`;
  const failures: string[] = [];
  let noisyRuns = 0;
  for (let run = 1; run <= REPEATS; run++) {
    for (const name of names) {
      for (const scenario of SCENARIOS) {
        for (let attempt = 0; attempt <= NOISY_RETRIES; attempt++) {
          const label = `  ${name.padEnd(6)} ${scenario.label.padEnd(18)} run ${run}${attempt > 0 ? ` retry ${attempt}` : ''}`;
          try {
            const sample = await runOnce(name, scenario);
            samples.set(key(name, scenario), [...(samples.get(key(name, scenario)) ?? []), sample]);
            console.log(
              `${label}: ${grouped(sample.rate)} msg/s; µs/msg main ${us(sample.main)}, shards ${us(sample.shard)}, helpers ${us(sample.helpers)}, ` +
                `client ${us(sample.client)}, kernel ${us(sample.kernel)}; other processes ${pct(sample.otherShare)} of the machine${isNoisy(sample) ? '  <- NOISY' : ''}`,
            );
            if (!isNoisy(sample)) break;
            noisyRuns++;
            if (performance.now() - began > RETRY_BUDGET_S * 1000) break;
          } catch (error) {
            const text = error instanceof Error ? error.message : String(error);
            failures.push(`${key(name, scenario)} run ${run}: ${text}`);
            console.log(`${label}: FAILED: ${text}`);
            break;
          }
        }
      }
    }
  }

  const calibration = SCENARIOS[0]!;
  const costs = new Map<WorkloadName, Costs>();
  /** The calibration's loopback kernel time per message (both sides' packets), for the notes. */
  const kernelCosts = new Map<WorkloadName, number>();
  const validations: Validation[] = [];
  for (const name of names) {
    const calibrated = samples.get(key(name, calibration));
    if (!calibrated) continue;
    const c = medianSample(calibrated);
    const workloadCosts: Costs = { main: c.main, shard: c.shard, helpers: c.helpers };
    costs.set(name, workloadCosts);
    kernelCosts.set(name, c.kernel);
    for (const scenario of SCENARIOS) {
      const runs = samples.get(key(name, scenario));
      if (!runs) continue;
      const measured = medianSample(runs);
      // The server's thread costs are the calibration's. The client (the test rig) and the
      // kernel's loopback work (it runs on whichever core sent the packet) are this placement's.
      const placement: Placement = { shards: scenario.shards, cores: scenario.cores, client: { cost: measured.client, sharesCores: scenario.clientShares, kernel: measured.clientKernel } };
      const prediction = predictRate({ ...workloadCosts, kernel: measured.kernel }, placement);
      validations.push({
        workload: name,
        scenario,
        measured,
        runs: runs.length,
        cleanRuns: runs.filter((r) => !isNoisy(r)).length,
        predicted: prediction.rate,
        bound: prediction.bound,
        errorPct: errorPercent(prediction.rate, measured.rate),
        costDriftPct: errorPercent(serverTotal(measured), serverTotal(c)),
      });
    }
  }

  console.log(`\n## CPU per message (µs, medians of the clean runs); the first placement of each workload is the calibration\n`);
  console.log(
    table(
      ['workload', 'placement', 'messages/s', 'main', 'shards', 'helpers', 'server total', 'client', "kernel, server's cores", "kernel, client's core", 'other processes', 'clean/all runs'],
      validations.map((v) => [
        v.workload,
        v.scenario.label,
        grouped(v.measured.rate),
        us(v.measured.main),
        us(v.measured.shard),
        us(v.measured.helpers),
        us(serverTotal(v.measured)),
        us(v.measured.client),
        us(v.measured.kernel),
        v.scenario.clientShares ? '(shared)' : us(v.measured.clientKernel),
        pct(v.measured.otherShare),
        `${v.cleanRuns}/${v.runs}`,
      ]),
    ),
  );

  console.log(`\n## Predicted against measured (server thread costs of "${calibration.label}"; client and kernel of each placement)\n`);
  console.log(
    table(
      ['workload', 'placement', 'predicted msg/s', 'bound', 'measured msg/s', 'error', 'server µs/msg vs calibration'],
      validations.map((v) => [v.workload, v.scenario.label, grouped(v.predicted), v.bound, grouped(v.measured.rate), signed(v.errorPct), signed(v.costDriftPct)]),
    ),
  );

  console.log('\n## Projection: messages/s of a server alone on C cores (calibration costs)\n');
  const projections: Record<string, Record<string, { main_plus_shards: number; shard_per_core: number; bound: string }>> = {};
  const projectionRows: string[][] = [];
  for (const [name, c] of costs) {
    const perWorkload: Record<string, { main_plus_shards: number; shard_per_core: number; bound: string }> = {};
    for (const cores of PROJECTED_CORES) {
      const a = predictRate(c, LAYOUTS.mainPlusShards(cores));
      const b = predictRate(c, LAYOUTS.shardPerCore(cores));
      perWorkload[cores] = { main_plus_shards: Math.round(a.rate), shard_per_core: Math.round(b.rate), bound: `${a.bound}/${b.bound}` };
      // The issue's first estimate, N × the shard rate capped by main's, ignores that the threads share the cores.
      const threadsOnly = Math.min(b.limits.shards, b.limits.main);
      projectionRows.push([name, String(cores), `${grouped(a.rate)} (${a.bound})`, `${grouped(b.rate)} (${b.bound})`, grouped(threadsOnly), grouped(a.limits.main)]);
    }
    projections[name] = perWorkload;
  }
  console.log(table(['workload', 'cores C', 'main + (C−1) shards', 'C shards', 'min(C / s, 1 / m), no core term', 'main-thread ceiling'], projectionRows));
  console.log(
    `\nThe projection leaves out the kernel's network work, which a real NIC puts on the server's cores; on this loopback it was ` +
      [...kernelCosts].map(([name, k]) => `${us(k)} µs per ${name} message (both sides)`).join(', ') +
      ': where the cores bind, the projected rate shrinks by that share of the server total.',
  );

  const loadAfter = loadavg();
  const worst = validations.reduce((w, v) => Math.max(w, Math.abs(v.errorPct)), 0);
  console.log(`\nload average after: ${loadAfter.map((l) => l.toFixed(2)).join(' ')}; largest error ${worst.toFixed(1)} % (target ±${TARGET_ERROR_PCT} %)`);
  if (noisyRuns > 0) console.log(`note: ${noisyRuns} run(s) flagged NOISY (other processes used > ${NOISY_SHARE * 100} % of the machine)`);
  for (const failure of failures) console.log(`note: run failed: ${failure}`);

  const json = {
    suite: 'scale',
    node: process.version,
    cpus: cpus().length,
    quick: QUICK,
    repeats: REPEATS,
    seconds: SECONDS,
    connections: CONNECTIONS,
    ingest_messages_per_connection: INGEST_MESSAGES,
    pinned: PINNED,
    load_average_before: loadBefore.map((l) => round(l, 2)),
    load_average_after: loadAfter.map((l) => round(l, 2)),
    noisy_runs: noisyRuns,
    elapsed_s: round((performance.now() - began) / 1000, 0),
    calibration: calibration.label,
    costs_us_per_msg: Object.fromEntries([...costs].map(([name, c]) => [name, { main: round(c.main, 3), shard: round(c.shard, 3), helpers: round(c.helpers, 3), loopback_kernel: round(kernelCosts.get(name) ?? NaN, 3) }])),
    validation: validations.map((v) => ({
      workload: v.workload,
      placement: v.scenario.label,
      shards: v.scenario.shards,
      cores: v.scenario.cores,
      measured_msgps: Math.round(v.measured.rate),
      predicted_msgps: Math.round(v.predicted),
      bound: v.bound,
      error_pct: round(v.errorPct, 1),
      server_cost_vs_calibration_pct: round(v.costDriftPct, 1),
      client_us_per_msg: round(v.measured.client, 3),
      kernel_us_per_msg: Number.isFinite(v.measured.kernel) ? round(v.measured.kernel, 3) : null,
      client_kernel_us_per_msg: Number.isFinite(v.measured.clientKernel) ? round(v.measured.clientKernel, 3) : null,
      other_share_pct: Number.isFinite(v.measured.otherShare) ? round(v.measured.otherShare * 100, 0) : null,
      clean_runs: v.cleanRuns,
      runs: v.runs,
    })),
    max_abs_error_pct: round(worst, 1),
    within_target: validations.length > 0 && worst <= TARGET_ERROR_PCT,
    projections,
    failures,
  };
  console.log(JSON.stringify(json));
}

await main();
