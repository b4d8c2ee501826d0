/**
 * A server or client process of the load benchmark. Spawned by bench/load.ts with
 * `--spec=<JSON ChildSpec>`; talks to the parent over IPC:
 *
 *   server: → listening {port}       client: → ready {connections}
 *   parent: start → mark (window opens) → report (window closes; each side sends its report)
 *           [memory → the server measures]  → stop (each side closes everything and exits)
 *
 * Every loop is bounded: the child exits on its own after `params.lifetimeSeconds`, and when
 * the parent goes away.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { argValue } from '../common.ts';
import { loadAdapter, type RunningServer } from './adapter.ts';
import { sampledWindow, childTime, sampleIfDue, startSampling, type Mark } from './sampled-window.ts';
import { epochMs, errorText, sleep, type ChildMessage, type ChildSpec, type ParentCommand, type ThreadSplit, type WindowReport } from './common.ts';
import type { ClientDriver } from './workload.ts';
import { WORKLOADS } from './workloads.ts';

const spec = JSON.parse(argValue(process.argv.slice(2), 'spec') ?? '{}') as ChildSpec;
const name = `${spec.workload}/${spec.system}/${spec.role}`;
let finished = false;

process.on('disconnect', () => {
  if (!finished) process.exit(4); // the parent is gone
});
setTimeout(() => {
  console.error(`${name}: still running after ${spec.params.lifetimeSeconds} s, exiting`);
  process.exit(3);
}, spec.params.lifetimeSeconds * 1000).unref();

const inbox: ParentCommand[] = [];
let wake: (() => void) | undefined;
process.on('message', (command: ParentCommand) => {
  inbox.push(command);
  wake?.();
});

async function nextCommand(): Promise<ParentCommand> {
  for (;;) {
    const command = inbox.shift();
    if (command) return command;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
}

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) {
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => resolve());
  });
}

async function exit(code: number): Promise<void> {
  finished = true;
  process.exitCode = code;
  process.disconnect?.();
  // Pool workers or lingering sockets must not keep us alive; exit() still writes --cpu-prof.
  setTimeout(() => process.exit(code), 200).unref();
}

function cpuTotalMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}


function usUsed(since: NodeJS.CpuUsage, now: NodeJS.CpuUsage): number {
  return now.user - since.user + (now.system - since.system);
}

const gc = (globalThis as { gc?: () => void }).gc;

/** Memory after repeated full collections (as settled as a process gets). */
async function settledMemory(): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 4; i++) {
    gc?.();
    await sleep(100);
  }
  return process.memoryUsage();
}

/** The first sample at or after `t` (the last one if none). */
function sampleAt(samples: readonly Mark[], t: number): Mark {
  return samples.find((s) => s.at >= t) ?? samples[samples.length - 1]!;
}

/**
 * The W2 ingest window from the 10 ms samples: from `warmupMs` after the first message to
 * `windowMs` later or the last message, whichever comes first. A flow that ended within the
 * warm-up is measured from its first to its last message.
 */
function flowReport(
  samples: readonly Mark[],
  flow: { readonly warmupMs: number; readonly windowMs: number },
  firstFailure: string | undefined,
  loopDelay: { percentile(p: number): number; max: number },
): { report: WindowReport; note: string | undefined } {
  const last = samples[samples.length - 1]!;
  const firstIndex = samples.findIndex((s) => s.ops > 0);
  // The sample before the first message bounds its arrival from below.
  const first = samples[Math.max(0, firstIndex - 1)] ?? last;
  const endIndex = samples.findIndex((s) => s.ops === last.ops);
  const end = samples[endIndex] ?? last;
  let from = sampleAt(samples, first.at + flow.warmupMs);
  let note: string | undefined;
  if (firstIndex < 0) note = 'no message arrived';
  else if (from.at >= end.at) {
    from = first;
    note = 'the flow ended within the warm-up: measured whole, first to last message (raise --ingest-messages for a steady state)';
  }
  const to = end.at - from.at > flow.windowMs ? sampleAt(samples, from.at + flow.windowMs) : end;
  return { note, report: windowReport(from, to, to.at - from.at, last.failures - samples[0]!.failures, firstFailure, loopDelay) };
}

/** The counters between two marks, as the parent's report. */
function windowReport(
  from: Mark,
  to: Mark,
  lastOpMs: number,
  failures: number,
  firstFailure: string | undefined,
  loopDelay: { percentile(p: number): number; max: number },
): WindowReport {
  return {
    windowMs: to.at - from.at,
    cpuUs: usUsed(from.cpu, to.cpu),
    mainCpuUs: usUsed(from.main, to.main),
    ops: to.ops - from.ops,
    bytes: to.bytes - from.bytes,
    accepted: to.accepted - from.accepted,
    lastOpMs,
    loopDelay: { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
    failures,
    ...(firstFailure ? { firstFailure } : {}),
    cpuTotalMs: cpuTotalMs(),
  };
}

async function serverMain(): Promise<void> {
  let server: RunningServer;
  try {
    const adapter = await loadAdapter(spec.system, spec.tls);
    server = await adapter.startServer(spec.params, spec.params.mode);
  } catch (error) {
    await send({ type: 'error', phase: 'start', message: errorText(error) });
    await exit(1);
    return;
  }
  const counters = server.counters;
  /** Heap used plus ArrayBuffers of every thread, after full collections (the caller's `main` one). */
  const liveBytes = async (main: NodeJS.MemoryUsage): Promise<number> => {
    const shards = (await server.shardLiveBytes?.()) ?? [];
    return shards.reduce((sum, bytes) => sum + bytes, main.heapUsed + main.arrayBuffers);
  };
  const baseline = gc ? await settledMemory() : undefined;
  const baselineLive = baseline ? await liveBytes(baseline) : undefined;
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  await send({ type: 'listening', port: server.port, notes: server.notes });

  let drainTimer: NodeJS.Timeout | undefined;
  if (spec.workload === 'W2-ingest') {
    const expected = spec.params.connections * spec.params.ingestMessages;
    drainTimer = setInterval(() => {
      if (counters.messages >= expected) {
        clearInterval(drainTimer);
        void send({ type: 'drained' });
      }
    }, 20);
  }

  const snapshot = (): Mark => ({
    at: performance.now(),
    cpu: process.cpuUsage(),
    main: process.threadCpuUsage(),
    ops: counters.messages,
    bytes: counters.bytes,
    accepted: counters.accepted,
    failures: counters.failures,
  });
  let mark = snapshot();
  let markAt = epochMs();
  const flow = spec.params.flow;
  /** Thread CPU where the span of the thread split opens: the window's mark, or a flow's start. */
  let threadMark: { readonly at: Mark; readonly shards: readonly number[] } | undefined;
  const shardCpu = async (): Promise<number[] | undefined> => (await server.shardCpu?.())?.map((u) => (u ? u.user + u.system : NaN));
  const markThreads = async (at: Mark): Promise<void> => {
    const shards = await shardCpu();
    threadMark = shards ? { at, shards } : undefined;
  };
  const threadSplit = async (): Promise<{ threads?: ThreadSplit }> => {
    const from = threadMark;
    const now = snapshot();
    const shards = from ? await shardCpu() : undefined;
    if (!from || !shards) return {};
    const spanMs = (flow ? counters.lastAt : now.at) - from.at.at;
    return { threads: { ops: now.ops - from.at.ops, spanMs, cpuUs: usUsed(from.at.cpu, now.cpu), mainCpuUs: usUsed(from.at.main, now.main), shardCpuUs: shards.map((us, i) => us - from.shards[i]!) } };
  };
  const samples: Mark[] = [];
  let sampler: NodeJS.Timeout | undefined;
  for (;;) {
    const command = await nextCommand();
    if (command.type === 'start' && flow) {
      samples.push(snapshot());
      await markThreads(samples[0]!);
      sampler = setInterval(() => samples.push(snapshot()), 10);
    } else if (command.type === 'start') {
      // The window is cut from these samples at the parent's times (bench/load/sampled-window.ts).
      sampler = startSampling(samples, snapshot);
    } else if (command.type === 'mark') {
      mark = snapshot();
      markAt = command.at;
      if (!flow) await markThreads(mark);
      loopDelay.reset();
    } else if (command.type === 'report' && flow) {
      clearInterval(sampler);
      samples.push(snapshot());
      const { report, note } = flowReport(samples, flow, counters.firstFailure, loopDelay);
      await send({ type: 'report', report: { ...report, ...(await threadSplit()) }, notes: note ? [...server.notes, note] : server.notes });
    } else if (command.type === 'report') {
      clearInterval(sampler);
      samples.push(snapshot());
      const { from, to } = sampledWindow(samples, mark, childTime(markAt), childTime(command.at));
      const lastOpMs = Math.max(0, Math.min(to.at - from.at, counters.lastAt - from.at));
      const report = {
        ...windowReport(from, to, lastOpMs, to.failures - from.failures, counters.firstFailure, loopDelay),
        ...(counters.gauges ? { gauges: { ...counters.gauges } } : {}),
        ...(await threadSplit()),
      };
      await send({ type: 'report', report, notes: server.notes });
    } else if (command.type === 'memory') {
      const loaded = await settledMemory();
      const loadedLive = await liveBytes(loaded);
      await send({
        type: 'memory',
        memory: { baseline: baseline ?? loaded, loaded, baselineLive: baselineLive ?? loadedLive, loadedLive, open: counters.open, gcAvailable: gc !== undefined, cpuTotalMs: cpuTotalMs() },
        notes: gc ? server.notes : [...server.notes, 'gc() unavailable: memory measured without a forced GC'],
      });
    } else if (command.type === 'stop') {
      clearInterval(drainTimer);
      clearInterval(sampler);
      loopDelay.disable();
      await server.close();
      await send({ type: 'stopped', cpuTotalMs: cpuTotalMs() });
      await exit(0);
      return;
    }
  }
}

async function clientMain(): Promise<void> {
  const workload = WORKLOADS[spec.workload];
  let driver: ClientDriver;
  let setupNotes: string[];
  const started = performance.now();
  try {
    const adapter = await loadAdapter(spec.system, spec.tls);
    const side = await adapter.client(spec.params);
    driver = await workload.clientDriver(side, spec.port ?? 0, spec.params);
    setupNotes = [...side.notes, ...driver.notes];
  } catch (error) {
    await send({ type: 'error', phase: 'setup', message: errorText(error) });
    await exit(1);
    return;
  }
  await send({ type: 'ready', connections: driver.connections, setupMs: performance.now() - started, notes: setupNotes });
  const counters = driver.counters;
  const snapshot = (): Mark => ({
    at: performance.now(),
    cpu: process.cpuUsage(),
    main: process.threadCpuUsage(),
    ops: counters.ops,
    bytes: counters.bytes,
    accepted: 0,
    failures: counters.failures,
  });
  // The window is cut from the client's own samples, taken every SAMPLE_MS from 'start', at the
  // parent's mark and report times: a client whose event loop is saturated (W6: 1,000 connections
  // of 16 KiB messages) can handle 'mark' seconds late, right before 'report', and a window taken
  // when the commands are handled would then be a few ms with nothing in it (W6 reported 0
  // messages/s in about 1 run in 8). A window still shorter than half the parent's is flagged.
  const samples: Mark[] = [];
  let sampler: NodeJS.Timeout | undefined;
  let sampling = false;
  driver.sampleOnArrival?.(() => {
    if (sampling) sampleIfDue(samples, snapshot, performance.now());
  });
  let mark = snapshot();
  let markAt = epochMs();
  for (;;) {
    const command = await nextCommand();
    if (command.type === 'start') {
      sampling = true;
      // Sampled first: a window opened before 'start' (bench:scale's ingest) counts what start() does.
      sampler = startSampling(samples, snapshot);
      driver.start();
    } else if (command.type === 'mark') {
      mark = snapshot();
      markAt = command.at;
      driver.latency?.reset();
    } else if (command.type === 'report') {
      clearInterval(sampler);
      sampling = false;
      const handled = snapshot();
      samples.push(handled);
      const { from, to } = sampledWindow(samples, mark, childTime(markAt), childTime(command.at));
      const wantedMs = command.at - markAt;
      const windowMs = to.at - from.at;
      const notes = windowMs < wantedMs / 2 ? [...setupNotes, `client window ${Math.round(windowMs)} ms of ${Math.round(wantedMs)} (event loop saturated)`] : setupNotes;
      const latency = driver.latency;
      const report: WindowReport = {
        windowMs,
        cpuUs: usUsed(from.cpu, to.cpu),
        mainCpuUs: usUsed(from.main, to.main),
        ops: to.ops - from.ops,
        bytes: to.bytes - from.bytes,
        accepted: 0,
        lastOpMs: Math.max(0, Math.min(windowMs, counters.lastAt - from.at)),
        ...(latency && latency.count > 0
          ? { latency: { p50: latency.percentile(50) / 1e6, p99: latency.percentile(99) / 1e6, max: latency.max / 1e6, count: latency.count } }
          : {}),
        failures: to.failures - from.failures,
        ...(counters.firstFailure ? { firstFailure: counters.firstFailure } : {}),
        cpuTotalMs: cpuTotalMs(),
        ...(windowMs < wantedMs / 2 ? { shortWindow: true } : {}),
      };
      await send({ type: 'report', report, notes });
    } else if (command.type === 'stop') {
      await Promise.race([driver.stop().catch(() => undefined), sleep(15_000)]);
      await send({ type: 'stopped', cpuTotalMs: cpuTotalMs() });
      await exit(0);
      return;
    }
  }
}

try {
  await (spec.role === 'server' ? serverMain() : clientMain());
} catch (error) {
  await send({ type: 'error', phase: 'run', message: errorText(error) });
  await exit(1);
}
