/**
 * Load benchmark: this library's Pool (inline and sharded) against Node TLS 1.3,
 * @hyperswarm/secret-stream and plain TCP, server and client in separate processes on loopback.
 *
 *   W1 bulk        1 connection, 64 KiB messages one way: MB/s (+ raw secretbox MB/s), each
 *                  side's CPU µs per message and, for ours, the part beyond its secretbox cost
 *   W2 echo        1,000 connections, 100-byte messages, one in flight each: round trips/s,
 *                  p50/p99 latency, CPU µs per echoed message, server event-loop delay p99 / max
 *   W2 ingest      the same connections, traffic pre-sealed by the client: server messages/s
 *   W3 handshake   64 in flight, full handshake (PoW check on, difficulty 1) then close: handshakes/s,
 *                  CPU µs per handshake and, for ours, beyond its X25519 + TCP connect/close floor
 *   W4 memory      5,000 idle connections: server RSS (fixed 1 MiB semi-spaces) and live heap +
 *                  ArrayBuffer bytes (every thread) per connection after GC
 *   W5 one core    W1 bulk and W2 echo, server pinned to one core: workers: 1 against workers: 0
 *   W6 broadcast   one 16 KiB message to all of 1,000 connections over 2 shards, repeated:
 *                  pool.broadcast against writeNow one by one, run alternately, messages
 *                  delivered per second and server CPU per message, gains per pair of runs
 *
 * The floors W1 and W3 subtract are measured in this process before the runs (load/floors.ts).
 * Each measurement is repeated (3 times; 1 with --quick) and reported as median (min–max). W1, W2
 * echo and W3 pin the server to core 1 and the client to core 0 (`taskset`); W2 ingest and W4 do
 * not pin. The table is printed as Markdown; the LAST line is one JSON object (see
 * docs/load-benchmark.md for every key).
 *
 * Run:  ./node_modules/.bin/node bench/load.ts [--quick] [--only=W1,W2,W2-ingest,W3,W4,W5,W6]
 *         [--systems=p2p-inline,p2p-sharded,tls,tls-chacha,tls-nocheck,secretstream,tcp]
 *         [--repeats=3] [--seconds=3] [--warmup=1] [--connections=1000] [--memory-connections=5000]
 *         [--ingest-messages=2500] [--in-flight=64] [--workers=2] [--no-pin] [--budget=14] [--noisy-retries=1]
 *         [--profile=DIR]   (--cpu-prof in our server and client children; summarize with bench/profile-summary.ts)
 */
import { mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { performance } from 'node:perf_hooks';
import { argValue, countArg, numberArg, round, spread, type Spread } from './common.ts';
import {
  canPin,
  Child,
  ChildError,
  errorText,
  fdLimits,
  isP2p,
  sleep,
  systemCpu,
  SYSTEM_IDS,
  SYSTEM_LABELS,
  WORKLOAD_IDS,
  childCommand,
  epochMs,
  type ChildMessage,
  type ChildSpec,
  type ParentCommand,
  type SystemId,
  type WorkloadId,
  type WorkloadParams,
} from './load/common.ts';
import { makeTlsMaterial } from './load/tls-cert.ts';
import { measureFloors, X25519_PER_HANDSHAKE } from './load/floors.ts';
import { pairedRatios, runGroups } from './load/paired.ts';
import type { Floors, LoadOptions, RunResult, WorkloadDefinition } from './load/workload.ts';
import { WORKLOADS } from './load/workloads.ts';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');

const options: LoadOptions = {
  quick: QUICK,
  repeats: Math.max(1, countArg(argv, 'repeats', QUICK ? 1 : 3)),
  seconds: numberArg(argv, 'seconds', QUICK ? 1 : 3),
  warmup: numberArg(argv, 'warmup', QUICK ? 0.5 : 1),
  echoConnections: Math.round(numberArg(argv, 'connections', QUICK ? 200 : 1000)),
  memoryConnections: Math.round(numberArg(argv, 'memory-connections', QUICK ? 1000 : 5000)),
  ingestMessages: Math.round(numberArg(argv, 'ingest-messages', QUICK ? 1000 : 2500)),
  inFlight: Math.round(numberArg(argv, 'in-flight', 64)),
  workers: Math.round(numberArg(argv, 'workers', 2)),
  messageSize: Math.round(numberArg(argv, 'message-size', 100)),
  bulkMessageSize: Math.round(numberArg(argv, 'bulk-message-size', 64 * 1024)),
};
/** Minutes after which remaining runs are skipped, so a full run stays under 15 minutes. */
const BUDGET_MS = numberArg(argv, 'budget', QUICK ? 30 : 14) * 60_000;
/** A run during which other processes used more than this (percent of one core) is flagged. */
const NOISY_OTHER_CPU = 25;
/** Extra attempts for a noisy run, per run slot. */
const NOISY_RETRIES = countArg(argv, 'noisy-retries', QUICK ? 0 : 1);

function selectedWorkloads(): WorkloadDefinition[] {
  const text = argValue(argv, 'only');
  if (text === undefined) return WORKLOAD_IDS.map((id) => WORKLOADS[id]);
  const tokens = text.split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
  const chosen = WORKLOAD_IDS.filter((id) => tokens.some((t) => id.toLowerCase() === t || id.toLowerCase().startsWith(`${t}-`)));
  const unknown = tokens.filter((t) => !WORKLOAD_IDS.some((id) => id.toLowerCase() === t || id.toLowerCase().startsWith(`${t}-`)));
  if (unknown.length > 0) throw new RangeError(`--only: unknown workload ${unknown.join(', ')} (known: ${WORKLOAD_IDS.join(', ')}, or W1…W6)`);
  return chosen.map((id) => WORKLOADS[id]);
}

function selectedSystems(): readonly SystemId[] {
  const text = argValue(argv, 'systems');
  if (text === undefined) return SYSTEM_IDS;
  const names = text.split(',').map((t) => t.trim());
  for (const n of names) if (!(SYSTEM_IDS as readonly string[]).includes(n)) throw new RangeError(`--systems: unknown system ${n} (known: ${SYSTEM_IDS.join(', ')})`);
  return SYSTEM_IDS.filter((s) => names.includes(s));
}

// ====================================================================== one run

interface RunContext {
  readonly workload: WorkloadDefinition;
  readonly system: SystemId;
  readonly run: number;
  readonly params: WorkloadParams;
  readonly pinned: boolean;
  readonly tls: ChildSpec['tls'];
  readonly profileDir: string | undefined;
}

class RunFailure extends Error {
  /** The server could not start at all: the system is unavailable, not flaky. */
  readonly unavailable: boolean;
  constructor(message: string, unavailable: boolean) {
    super(message);
    this.unavailable = unavailable;
  }
}

async function runOnce(ctx: RunContext): Promise<RunResult> {
  const { workload, system, run, params } = ctx;
  const timing = workload.timing(options);
  const split = ctx.pinned && workload.pinning === 'split';
  const fds = params.connections + 1024;
  const profileArgs = (role: 'server' | 'client'): string[] =>
    ctx.profileDir && isP2p(system) ? ['--cpu-prof', `--cpu-prof-dir=${join(ctx.profileDir, `${workload.id}-${system}-run${run}`, role)}`] : [];
  const base = { workload: workload.id, system, params, ...(ctx.tls ? { tls: ctx.tls } : {}) };
  const children: Child<ChildMessage>[] = [];
  const cpuBefore = systemCpu();
  const ownBefore = process.cpuUsage();
  const started = performance.now();
  let server: Child<ChildMessage> | undefined;
  let client: Child<ChildMessage> | undefined;
  let serverReport: RunResult['server'];
  let clientReport: RunResult['client'];
  let memory: RunResult['memory'];
  let connections = 0;
  let setupMs = 0;
  const notes = new Set<string>();
  let childCpuMs = 0;
  try {
    server = new Child<ChildMessage>(`${system} server`, ...childCommand({ ...base, role: 'server' }, { core: split ? 1 : undefined, nodeArgs: [...workload.serverNodeArgs, ...profileArgs('server')], fds }));
    children.push(server);
    let listening;
    try {
      listening = await server.expect('listening', 60_000);
    } catch (error) {
      throw new RunFailure(errorText(error), error instanceof ChildError && error.phase === 'start');
    }
    listening.notes.forEach((n) => notes.add(n));
    client = new Child<ChildMessage>(`${system} client`, ...childCommand({ ...base, role: 'client', port: listening.port }, { core: split ? 0 : undefined, nodeArgs: profileArgs('client'), fds }));
    children.push(client);
    const ready = await client.expect('ready', 90_000);
    ready.notes.forEach((n) => notes.add(n));
    connections = ready.connections;
    setupMs = ready.setupMs;
    if (timing.kind === 'window' || timing.kind === 'flow') {
      server.send({ type: 'start' });
      client.send({ type: 'start' });
      if (timing.kind === 'window') {
        await sleep(timing.warmupMs);
        const markAt = epochMs();
        server.send({ type: 'mark', at: markAt } satisfies ParentCommand);
        client.send({ type: 'mark', at: markAt } satisfies ParentCommand);
        await sleep(timing.windowMs);
      } else {
        const markAt = epochMs();
        server.send({ type: 'mark', at: markAt } satisfies ParentCommand);
        client.send({ type: 'mark', at: markAt } satisfies ParentCommand);
        await server.expect('drained', timing.maxMs).catch(() => undefined);
      }
      const reportAt = epochMs();
      server.send({ type: 'report', at: reportAt } satisfies ParentCommand);
      client.send({ type: 'report', at: reportAt } satisfies ParentCommand);
      const [s, c] = await Promise.all([server.expect('report', 30_000), client.expect('report', 30_000)]);
      serverReport = s.report;
      clientReport = c.report;
      s.notes.forEach((n) => notes.add(n));
      c.notes.forEach((n) => notes.add(n));
    } else {
      await sleep(timing.settleMs);
      server.send({ type: 'memory' });
      const m = await server.expect('memory', 60_000);
      memory = m.memory;
      m.notes.forEach((n) => notes.add(n));
    }
  } finally {
    // The client first, so its connections close while the server still answers; then the server.
    for (const child of [...children].reverse()) {
      child.send({ type: 'stop' });
      try {
        const stopped = await child.expect('stopped', 20_000);
        childCpuMs += stopped.cpuTotalMs;
      } catch {
        // reported by the failure that got us here, or killed below
      }
      await child.finish(10_000);
    }
  }
  const cpuAfter = systemCpu();
  const wallMs = performance.now() - started;
  let otherCpuPct: number | undefined;
  if (cpuBefore && cpuAfter) {
    const own = process.cpuUsage(ownBefore);
    otherCpuPct = Math.max(0, ((cpuAfter.busyMs - cpuBefore.busyMs - childCpuMs - (own.user + own.system) / 1000) / wallMs) * 100);
  }
  for (const report of [serverReport, clientReport]) {
    if (report?.firstFailure) notes.add(`${report.failures} failure(s) in window; first: ${report.firstFailure}`);
  }
  const noisy = (otherCpuPct !== undefined && otherCpuPct > NOISY_OTHER_CPU) || clientReport?.shortWindow === true;
  return { system, run, server: serverReport, client: clientReport, memory, connections, setupMs, otherCpuPct, noisy, wallMs, notes: [...notes] };
}

// ====================================================================== tables

interface SystemOutcome {
  readonly runs: RunResult[];
  readonly errors: string[];
}

type Outcomes = Map<WorkloadId, Map<SystemId, SystemOutcome>>;

/** The runs no other process competed with, or all runs when every one was noisy. */
function cleanRuns(outcome: SystemOutcome): RunResult[] {
  const clean = outcome.runs.filter((r) => !r.noisy);
  return clean.length > 0 ? clean : outcome.runs;
}

/** Measured by the parent before the runs (bench/load/floors.ts); set once in main(). */
let floors: Floors = {};

function metricSpread(workload: WorkloadDefinition, outcome: SystemOutcome | undefined, key: string): Spread | undefined {
  if (!outcome) return undefined;
  const values = cleanRuns(outcome)
    .map((r) => workload.metrics(r, workload.params(options), floors)[key])
    .filter((v): v is number => v !== undefined && Number.isFinite(v));
  return values.length > 0 ? spread(values) : undefined;
}

function formatNumber(value: number, digits: number): string {
  if (Math.abs(value) >= 1000 && digits === 0) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(digits);
}

function printTable(workload: WorkloadDefinition, outcomes: Map<SystemId, SystemOutcome>): void {
  const header = ['system', ...workload.columns.map((c) => c.label), 'clean/all runs'];
  const rows: string[][] = [];
  for (const [system, outcome] of outcomes) {
    const cells = [SYSTEM_LABELS[system]];
    if (outcome.runs.length === 0) {
      cells.push(`ERROR: ${outcome.errors[0] ?? 'no run'}`, ...workload.columns.slice(1).map(() => ''), '0');
      rows.push(cells);
      continue;
    }
    workload.columns.forEach((column, i) => {
      const s = metricSpread(workload, outcome, column.key);
      if (!s) cells.push('–');
      else if (i === 0 && outcome.runs.length > 1) cells.push(`${formatNumber(s.median, column.digits)} (${formatNumber(s.min, column.digits)}–${formatNumber(s.max, column.digits)})`);
      else cells.push(formatNumber(s.median, column.digits));
    });
    const clean = outcome.runs.filter((r) => !r.noisy).length;
    cells.push(`${clean}/${outcome.runs.length}${outcome.errors.length > 0 ? ` (+${outcome.errors.length} failed)` : ''}`);
    rows.push(cells);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(`\n### ${workload.title(options)}\n`);
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of rows) console.log(line(row));
  const notes = new Set<string>();
  for (const [system, outcome] of outcomes) {
    for (const run of outcome.runs) for (const note of run.notes) notes.add(`${system}: ${note}`);
    if (outcome.runs.length > 0) for (const error of outcome.errors) notes.add(`${system}: a run failed: ${error}`);
  }
  if (notes.size > 0) console.log('');
  for (const note of notes) console.log(`- ${note}`);
}

// ====================================================================== main

async function main(): Promise<void> {
  const began = performance.now();
  const workloads = selectedWorkloads();
  const systems = selectedSystems();
  const pinned = !argv.includes('--no-pin') && canPin();
  const limits = fdLimits();
  const profileText = argValue(argv, 'profile');
  const profileDir = profileText === undefined ? undefined : resolvePath(profileText);
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const needTls = workloads.some((w) => w.systems.some((s) => s.startsWith('tls') && systems.includes(s)));
  const tls = needTls ? makeTlsMaterial() : undefined;
  process.on('exit', () => tls?.cleanup());

  const globalNotes: string[] = [];
  const fdsNeeded = options.memoryConnections + 1024;
  if (workloads.some((w) => w.id === 'W4-memory') && limits.hard < fdsNeeded) {
    globalNotes.push(`fd limit: hard ulimit -n is ${limits.hard}, W4 needs ~${fdsNeeded} per process: W4 will fail; raise the limit (ulimit -Hn) or lower --memory-connections`);
  }
  console.log(
    `load benchmark: node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown cpu'}; ` +
      `${options.repeats} repeat(s), ${options.seconds} s windows after ${options.warmup} s warm-up; ` +
      `${pinned ? 'W1/W2 echo/W3 pinned: server taskset -c 1, client -c 0' : 'unpinned'}; ` +
      `fd limit soft ${limits.soft} / hard ${limits.hard} (W4 needs ~${fdsNeeded} per process${limits.soft < fdsNeeded && limits.hard >= fdsNeeded ? ', raised in the children through bash ulimit' : ''})` +
      (tls ? `; ${tls.note}` : ''),
  );

  // Costs measured in this process before the runs, which W1 and W3 split their CPU by.
  const measured = await measureFloors(
    { bulk: workloads.some((w) => w.id === 'W1-bulk'), handshake: workloads.some((w) => w.id === 'W3-handshake') && systems.some(isP2p) },
    options,
  );
  floors = measured.floors;
  const seal = measured.secretbox?.seal;
  const open = measured.secretbox?.open;

  const outcomes: Outcomes = new Map();
  const unavailable = new Map<SystemId, string>();
  let noisyRuns = 0;
  let skippedForTime = 0;
  for (const group of runGroups(workloads)) {
    for (const workload of group) {
      const perSystem = new Map<SystemId, SystemOutcome>();
      outcomes.set(workload.id, perSystem);
      for (const s of workload.systems.filter((s) => systems.includes(s))) perSystem.set(s, { runs: [], errors: [] });
      console.log(`\n${workload.title(options)}`);
    }
    if (group.length > 1) console.log(`  (run alternately: ${group.map((w) => w.id).join(', ')})`);
    for (let run = 1; run <= options.repeats; run++) {
      for (const workload of group) {
        const params = workload.params(options);
        const perSystem = outcomes.get(workload.id)!;
        for (const [system, outcome] of perSystem) {
          const label = `  ${workload.id} ${system.padEnd(12)} run ${run}`;
          const blocked = unavailable.get(system);
          if (blocked !== undefined) {
            if (outcome.errors.length === 0) outcome.errors.push(blocked);
            if (run === 1) console.log(`${label}: skipped (unavailable: ${blocked})`);
            continue;
          }
          if (outcome.runs.length === 0 && outcome.errors.length > 0) continue; // failed before: not repeated
          if (system.startsWith('tls') && !tls?.files) {
            unavailable.set(system, tls?.note ?? 'no TLS material');
            outcome.errors.push(tls?.note ?? 'no TLS material');
            continue;
          }
          if (performance.now() - began > BUDGET_MS) {
            skippedForTime++;
            if (outcome.runs.length === 0) outcome.errors.push('skipped: time budget spent');
            continue;
          }
          // A run another process competed with is kept and shown, but retried (a bounded number
          // of times, budget permitting) so the medians can come from clean runs.
          for (let attempt = 0; attempt <= NOISY_RETRIES; attempt++) {
            const tag = attempt > 0 ? `${label} retry ${attempt}` : label;
            try {
              const result = await runOnce({ workload, system, run, params, pinned, tls: tls?.files, profileDir });
              outcome.runs.push(result);
              const metrics = workload.metrics(result, params, floors);
              // The first three columns, and the CPU per operation, which judges a run on a busy machine.
              const headline = workload.columns
                .filter((c, i) => i < 3 || c.label.includes('CPU µs'))
                .map((c) => `${c.label} ${metrics[c.key] === undefined ? '–' : formatNumber(metrics[c.key]!, c.digits)}`)
                .join(', ');
              if (result.noisy) noisyRuns++;
              console.log(
                `${tag}: ${headline}` +
                  (result.otherCpuPct === undefined ? '' : `; other processes ${result.otherCpuPct.toFixed(0)}% CPU`) +
                  ` (${(result.wallMs / 1000).toFixed(1)} s)` +
                  (result.noisy ? '  <- NOISY' : ''),
              );
              if (!result.noisy || performance.now() - began > BUDGET_MS * 0.8) break;
            } catch (error) {
              const text = error instanceof Error ? error.message : String(error);
              outcome.errors.push(text);
              console.log(`${tag}: FAILED: ${text}`);
              if (error instanceof RunFailure && error.unavailable) unavailable.set(system, text);
              break;
            }
          }
        }
      }
    }
  }

  console.log(`\n## Results (median (min–max) of ${options.repeats} run(s) for the first column, medians elsewhere)`);
  for (const workload of workloads) printTable(workload, outcomes.get(workload.id)!);
  if (seal && open) {
    console.log(`\nraw secretbox, 1 core, ${options.bulkMessageSize}-byte messages: seal ${seal.median.toFixed(1)} MB/s (${seal.min.toFixed(1)}–${seal.max.toFixed(1)}), open ${open.median.toFixed(1)} MB/s`);
  }
  if (floors.sealUsPerMessage !== undefined && floors.openUsPerMessage !== undefined) {
    console.log(`W1 crypto per message (raw secretbox on its chunks, CPU time in this process): seal ${floors.sealUsPerMessage.toFixed(1)} µs, open ${floors.openUsPerMessage.toFixed(1)} µs; "non-crypto" = CPU µs/msg minus these`);
  }
  if (measured.handshake && floors.handshakeFloorUs !== undefined) {
    const { x25519Us, tcpUs } = measured.handshake;
    console.log(
      `W3 floor per handshake, both sides (CPU time in this process): ${X25519_PER_HANDSHAKE} X25519 × ${x25519Us.toFixed(1)} µs + loopback TCP connect and close ${tcpUs.toFixed(1)} µs = ${floors.handshakeFloorUs.toFixed(1)} µs`,
    );
  }
  // Per pair of runs (same run number, run one after the other): broadcast ÷ unicast delivered
  // messages/s, and unicast ÷ broadcast server CPU per delivered message. Both W6 workloads
  // compute their numbers with the same metrics().
  const w6Runs = (id: WorkloadId): RunResult[] => outcomes.get(id)?.get('p2p-sharded')?.runs ?? [];
  const w6Value = (key: string) => (r: RunResult): number | undefined => WORKLOADS['W6-broadcast'].metrics(r, WORKLOADS['W6-broadcast'].params(options), floors)[key];
  const w6Gain = pairedRatios(w6Runs('W6-broadcast'), w6Runs('W6-unicast'), w6Value('msgps'));
  const w6CpuGain = pairedRatios(w6Runs('W6-unicast'), w6Runs('W6-broadcast'), w6Value('serverUs'));
  if (w6Gain.spread) {
    console.log(
      `W6 per pair of runs: delivered msgs/s broadcast ÷ unicast ${w6Gain.ratios.map((g) => g.toFixed(2)).join(', ')} (median ${w6Gain.spread.median.toFixed(2)}); ` +
        `server CPU µs/msg unicast ÷ broadcast ${w6CpuGain.ratios.map((g) => g.toFixed(2)).join(', ')}${w6CpuGain.spread ? ` (median ${w6CpuGain.spread.median.toFixed(2)})` : ''}`,
    );
  }
  for (const note of globalNotes) console.log(`note: ${note}`);
  if (noisyRuns > 0) console.log(`note: ${noisyRuns} run(s) flagged NOISY (> ${NOISY_OTHER_CPU}% of a core used by other processes, or a client window under half the parent's)`);
  if (skippedForTime > 0) console.log(`note: ${skippedForTime} run(s) skipped to stay within the ${BUDGET_MS / 60_000}-minute budget`);
  if (profileDir) console.log(`CPU profiles of our server and client children: ${profileDir} (node bench/profile-summary.ts ${profileDir}/*/server/*.cpuprofile, …/client/…)`);

  // ------------------------------------------------------------------ JSON
  const median = (id: WorkloadId, system: SystemId, key: string): number | undefined => {
    const workload = WORKLOADS[id];
    return metricSpread(workload, outcomes.get(id)?.get(system), key)?.median;
  };
  const r = (value: number | undefined, digits = 1): number | null => (value === undefined || !Number.isFinite(value) ? null : round(value, digits));
  const ratio = (a: number | undefined, b: number | undefined): number | null => (a === undefined || b === undefined || b === 0 ? null : round(a / b, 3));
  /** The better of inline and sharded on `key` (higher wins). */
  const best = (id: WorkloadId, key: string): { value: number | undefined; system: SystemId | undefined } => {
    const inline = median(id, 'p2p-inline', key);
    const sharded = median(id, 'p2p-sharded', key);
    if (inline === undefined && sharded === undefined) return { value: undefined, system: undefined };
    if (sharded === undefined || (inline !== undefined && inline >= sharded)) return { value: inline, system: 'p2p-inline' };
    return { value: sharded, system: 'p2p-sharded' };
  };
  const engine = (system: SystemId | undefined): string | null => (system === undefined ? null : system === 'p2p-inline' ? 'inline' : 'sharded');
  const bySystem = (id: WorkloadId, key: string, digits: number): Record<string, number | null> => {
    const out: Record<string, number | null> = {};
    for (const system of outcomes.get(id)?.keys() ?? []) out[system] = r(median(id, system, key), digits);
    return out;
  };

  const w1 = best('W1-bulk', 'mbps');
  const w2 = best('W2-echo', 'rtps');
  const w3 = best('W3-handshake', 'hsps');
  /** The worst (largest) value of `key` over the clean runs of these workloads, for `system`. */
  const worst = (ids: readonly WorkloadId[], system: SystemId, key: string): number | undefined => {
    const values = ids.map((id) => metricSpread(WORKLOADS[id], outcomes.get(id)?.get(system), key)?.max).filter((v): v is number => v !== undefined);
    return values.length > 0 ? Math.max(...values) : undefined;
  };
  const ingestInline = median('W2-ingest', 'p2p-inline', 'msgps');
  const ingestSharded = median('W2-ingest', 'p2p-sharded', 'msgps');
  const errors: Record<string, string> = {};
  for (const [id, perSystem] of outcomes) {
    for (const [system, outcome] of perSystem) if (outcome.errors.length > 0) errors[`${id}/${system}`] = outcome.errors[0]!;
  }
  const json = {
    suite: 'load',
    node: process.version,
    cpus: cpus().length,
    quick: QUICK,
    repeats: options.repeats,
    seconds: options.seconds,
    pinned,
    workers: options.workers,
    connections: options.echoConnections,
    memory_connections: options.memoryConnections,
    noisy_runs: noisyRuns,
    elapsed_s: round((performance.now() - began) / 1000, 0),

    w1_mbps: r(w1.value),
    w1_engine: engine(w1.system),
    w1_mbps_inline: r(median('W1-bulk', 'p2p-inline', 'mbps')),
    w1_mbps_sharded: r(median('W1-bulk', 'p2p-sharded', 'mbps')),
    secretbox_mbps: r(seal?.median),
    secretbox_open_mbps: r(open?.median),
    w1_over_secretbox: ratio(w1.value, seal?.median),
    w1_over_secretstream: ratio(w1.value, median('W1-bulk', 'secretstream', 'mbps')),
    w1_over_tls: ratio(w1.value, median('W1-bulk', 'tls', 'mbps')),
    w1_over_plain: ratio(w1.value, median('W1-bulk', 'tcp', 'mbps')),
    w1_mbps_by_system: bySystem('W1-bulk', 'mbps', 1),
    w1_noncrypto_us_per_msg: w1.system ? r(median('W1-bulk', w1.system, 'noncryptoUs'), 1) : null,
    w1_noncrypto_us_per_msg_inline: r(median('W1-bulk', 'p2p-inline', 'noncryptoUs'), 1),
    w1_noncrypto_us_per_msg_sharded: r(median('W1-bulk', 'p2p-sharded', 'noncryptoUs'), 1),
    w1_crypto_us_per_msg_seal: r(floors.sealUsPerMessage, 1),
    w1_crypto_us_per_msg_open: r(floors.openUsPerMessage, 1),

    w2_rtps: r(w2.value, 0),
    w2_engine: engine(w2.system),
    w2_rtps_inline: r(median('W2-echo', 'p2p-inline', 'rtps'), 0),
    w2_rtps_sharded: r(median('W2-echo', 'p2p-sharded', 'rtps'), 0),
    w2_over_tls: ratio(w2.value, median('W2-echo', 'tls', 'rtps')),
    w2_over_plain: ratio(w2.value, median('W2-echo', 'tcp', 'rtps')),
    w2_over_secretstream: ratio(w2.value, median('W2-echo', 'secretstream', 'rtps')),
    w2_p50_ms: w2.system ? r(median('W2-echo', w2.system, 'p50'), 2) : null,
    w2_p99_ms: w2.system ? r(median('W2-echo', w2.system, 'p99'), 2) : null,
    w2_main_loop_delay_p99_ms: r(median('W2-echo', 'p2p-sharded', 'loopP99'), 2),
    w2_main_loop_delay_p99_ms_inline: r(median('W2-echo', 'p2p-inline', 'loopP99'), 2),
    w2_cpu_us_per_msg: w2.system ? r(median('W2-echo', w2.system, 'serverUs'), 1) : null,
    w2_cpu_us_per_msg_inline: r(median('W2-echo', 'p2p-inline', 'serverUs'), 1),
    w2_cpu_us_per_msg_sharded: r(median('W2-echo', 'p2p-sharded', 'serverUs'), 1),
    w2_rtps_by_system: bySystem('W2-echo', 'rtps', 0),
    w2_p99_ms_by_system: bySystem('W2-echo', 'p99', 2),
    w2_cpu_us_per_msg_by_system: bySystem('W2-echo', 'serverUs', 1),
    w2_client_cpu_us_per_msg_by_system: bySystem('W2-echo', 'clientUs', 1),

    w2_ingest_inline: r(ingestInline, 0),
    w2_ingest_sharded: r(ingestSharded, 0),
    w2_sharding_gain: ratio(ingestSharded, ingestInline),
    w2_main_us_per_msg_sharded: r(median('W2-ingest', 'p2p-sharded', 'serverMainUs'), 2),
    w2_ingest_plain: r(median('W2-ingest', 'tcp', 'msgps'), 0),

    w3_hsps: r(w3.value, 0),
    w3_engine: engine(w3.system),
    w3_hsps_inline: r(median('W3-handshake', 'p2p-inline', 'hsps'), 0),
    w3_hsps_sharded: r(median('W3-handshake', 'p2p-sharded', 'hsps'), 0),
    w3_over_tls: ratio(w3.value, median('W3-handshake', 'tls', 'hsps')),
    w3_over_tls_nocheck: ratio(w3.value, median('W3-handshake', 'tls-nocheck', 'hsps')),
    w3_over_secretstream: ratio(w3.value, median('W3-handshake', 'secretstream', 'hsps')),
    w3_over_plain: ratio(w3.value, median('W3-handshake', 'tcp', 'hsps')),
    w3_hsps_by_system: bySystem('W3-handshake', 'hsps', 0),
    w3_cpu_us_per_handshake: w3.system ? r(median('W3-handshake', w3.system, 'bothUs'), 0) : null,
    w3_cpu_us_beyond_floor: w3.system ? r(median('W3-handshake', w3.system, 'beyondFloorUs'), 0) : null,
    w3_cpu_us_per_handshake_by_system: bySystem('W3-handshake', 'bothUs', 0),
    w3_floor_us: r(floors.handshakeFloorUs, 1),

    w4_bytes_per_conn: r(median('W4-memory', 'p2p-inline', 'rssPerConn'), 0),
    w4_bytes_per_conn_sharded: r(median('W4-memory', 'p2p-sharded', 'rssPerConn'), 0),
    w4_bytes_per_conn_tls: r(median('W4-memory', 'tls', 'rssPerConn'), 0),
    w4_bytes_per_conn_secretstream: r(median('W4-memory', 'secretstream', 'rssPerConn'), 0),
    w4_bytes_per_conn_plain: r(median('W4-memory', 'tcp', 'rssPerConn'), 0),
    w4_js_bytes_per_conn_by_system: bySystem('W4-memory', 'jsPerConn', 0),
    w4_live_bytes_per_conn: r(median('W4-memory', 'p2p-inline', 'liveBytesPerConn'), 0),
    w4_live_bytes_per_conn_sharded: r(median('W4-memory', 'p2p-sharded', 'liveBytesPerConn'), 0),
    w4_live_bytes_per_conn_by_system: bySystem('W4-memory', 'liveBytesPerConn', 0),

    w5_bulk_mbps_inline: r(median('W5-bulk', 'p2p-inline', 'mbps')),
    w5_bulk_mbps_sharded: r(median('W5-bulk', 'p2p-sharded', 'mbps')),
    w5_bulk_sharded_over_inline: ratio(median('W5-bulk', 'p2p-sharded', 'mbps'), median('W5-bulk', 'p2p-inline', 'mbps')),
    w5_echo_rtps_inline: r(median('W5-echo', 'p2p-inline', 'rtps'), 0),
    w5_echo_rtps_sharded: r(median('W5-echo', 'p2p-sharded', 'rtps'), 0),
    w5_echo_sharded_over_inline: ratio(median('W5-echo', 'p2p-sharded', 'rtps'), median('W5-echo', 'p2p-inline', 'rtps')),

    w6_broadcast_msgps: r(median('W6-broadcast', 'p2p-sharded', 'msgps'), 0),
    w6_unicast_msgps: r(median('W6-unicast', 'p2p-sharded', 'msgps'), 0),
    w6_broadcast_gain: r(w6Gain.spread?.median, 3),
    w6_server_cpu_gain: r(w6CpuGain.spread?.median, 3),
    w6_server_cpu_us_per_msg_broadcast: r(median('W6-broadcast', 'p2p-sharded', 'serverUs'), 1),
    w6_server_cpu_us_per_msg_unicast: r(median('W6-unicast', 'p2p-sharded', 'serverUs'), 1),
    w6_ring_bytes_per_broadcast: r(median('W6-broadcast', 'p2p-sharded', 'ringBytesPerBroadcast'), 0),
    w6_server_main_us_per_msg_broadcast: r(median('W6-broadcast', 'p2p-sharded', 'serverMainUs'), 2),
    w6_server_main_us_per_msg_unicast: r(median('W6-unicast', 'p2p-sharded', 'serverMainUs'), 2),

    loop_delay_max_ms: r(worst(['W2-echo', 'W2-ingest', 'W6-broadcast', 'W6-unicast'], 'p2p-sharded', 'loopMax'), 1),
    loop_delay_max_ms_inline: r(worst(['W2-echo', 'W2-ingest'], 'p2p-inline', 'loopMax'), 1),

    errors,
  };
  console.log(JSON.stringify(json));
}

await main();
