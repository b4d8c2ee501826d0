/**
 * What a workload file (w*.ts) provides: its systems, parameters and timing for the parent
 * (bench/load.ts), the client-side driver the client child runs, and how a run's reports become
 * the numbers of the table.
 */
import type { RecordableHistogram } from 'node:perf_hooks';
import type { ClientSide } from './adapter.ts';
import type { MemoryReport, SystemId, WindowReport, WorkloadId, WorkloadParams } from './common.ts';

/** Command-line options of bench/load.ts that shape the workloads. */
export interface LoadOptions {
  readonly quick: boolean;
  readonly repeats: number;
  /** Measurement window of the throughput workloads, seconds. */
  readonly seconds: number;
  /** Traffic before the window opens (JIT, caches), seconds. */
  readonly warmup: number;
  readonly echoConnections: number;
  readonly memoryConnections: number;
  readonly ingestMessages: number;
  readonly inFlight: number;
  readonly workers: number;
  readonly messageSize: number;
  readonly bulkMessageSize: number;
}

export type Timing =
  | {
      readonly kind: 'window';
      readonly warmupMs: number;
      readonly windowMs: number;
    }
  /**
   * W2 ingest: the server measures the flow itself (params.flow); the parent only starts it and
   * waits until the server has every message, or `maxMs`.
   */
  | { readonly kind: 'flow'; readonly maxMs: number }
  | { readonly kind: 'memory'; readonly settleMs: number };

/** The client side of a workload, in the client child. */
export interface ClientDriver {
  readonly connections: number;
  readonly notes: string[];
  /** Begins the traffic (nothing for W4). */
  start(): void;
  /** Cumulative: completed operations (round trips, handshakes, messages sent). */
  readonly counters: { ops: number; bytes: number; lastAt: number; failures: number; firstFailure: string | undefined };
  /** Latency of each operation, reset when the window opens. */
  readonly latency?: RecordableHistogram;
  /**
   * Hands the driver a function to call after counting each message that arrives; the child
   * passes one that takes a window sample when one is due (sampled-window.ts `sampleIfDue`), so a
   * client whose event loop starves its sampling timer still has samples stamped as messages land.
   */
  sampleOnArrival?(sample: () => void): void;
  /** Stops the traffic and closes every connection. */
  stop(): Promise<void>;
}

/** One run's reports, as the parent collects them. */
export interface RunResult {
  readonly system: SystemId;
  readonly run: number;
  readonly server: WindowReport | undefined;
  readonly client: WindowReport | undefined;
  readonly memory: MemoryReport | undefined;
  readonly connections: number;
  readonly setupMs: number;
  /** CPU used by other processes during the run, percent of one core. */
  readonly otherCpuPct: number | undefined;
  /** Other processes competed for the CPUs (otherCpuPct above the threshold). */
  readonly noisy: boolean;
  readonly wallMs: number;
  readonly notes: readonly string[];
}

/**
 * Costs the parent measures in the same process tree before the runs (bench/load/floors.ts),
 * so a workload can split what it spends into the part a floor explains and the rest.
 */
export interface Floors {
  /** W1: µs to seal one bulk message's chunks with raw secretbox on one core (the sender's crypto). */
  readonly sealUsPerMessage?: number;
  /** W1: µs to open them (the receiver's crypto). */
  readonly openUsPerMessage?: number;
  /** W3: CPU µs per handshake, both sides together, of its X25519 agreements and a loopback TCP connect and close. */
  readonly handshakeFloorUs?: number;
}

export interface Column {
  readonly key: string;
  readonly label: string;
  readonly digits: number;
}

export interface WorkloadDefinition {
  readonly id: WorkloadId;
  title(options: LoadOptions): string;
  readonly systems: readonly SystemId[];
  /**
   * A workload whose runs alternate with this one's (run 1 of each, then run 2 of each …), so a
   * ratio of the two can be taken per pair of runs that saw the same machine.
   */
  readonly pairedWith?: WorkloadId;
  /** split: server `taskset -c 1`, client `-c 0`; free: no pinning (the server may use both cores). */
  readonly pinning: 'split' | 'free';
  readonly serverNodeArgs: readonly string[];
  params(options: LoadOptions): WorkloadParams;
  timing(options: LoadOptions): Timing;
  /**
   * Numbers of one run (undefined: not measurable in that run). The first column is the headline.
   * `floors`: costs the parent measured on its own core, which some numbers subtract.
   */
  metrics(result: RunResult, params: WorkloadParams, floors?: Floors): Record<string, number | undefined>;
  readonly columns: readonly Column[];
  clientDriver(side: ClientSide, port: number, params: WorkloadParams): Promise<ClientDriver>;
}

export function newClientCounters(): ClientDriver['counters'] {
  return { ops: 0, bytes: 0, lastAt: 0, failures: 0, firstFailure: undefined };
}

/** Defaults shared by the workloads' params. */
export function baseParams(options: LoadOptions): WorkloadParams {
  return {
    mode: 'idle',
    connections: 1,
    messageSize: options.messageSize,
    inFlight: options.inFlight,
    powDifficulty: 0,
    ingestMessages: options.ingestMessages,
    workers: options.workers,
    connectConcurrency: 64,
    lifetimeSeconds: 300,
  };
}

/** µs of CPU per operation, or undefined without operations. */
export function perOp(cpuUs: number | undefined, ops: number | undefined): number | undefined {
  return cpuUs === undefined || !ops ? undefined : cpuUs / ops;
}

/** Percent of one core over the window. */
export function cpuPercent(report: WindowReport | undefined): number | undefined {
  return report && report.windowMs > 0 ? (report.cpuUs / 1000 / report.windowMs) * 100 : undefined;
}

/** Each process's CPU over the window, the last columns of the client/server workloads. */
export const PROCESS_CPU_COLUMNS: readonly Column[] = [
  { key: 'serverCpu', label: 'server CPU %', digits: 0 },
  { key: 'clientCpu', label: 'client CPU %', digits: 0 },
];

/** The numbers behind PROCESS_CPU_COLUMNS. */
export function processCpu(result: RunResult): { serverCpu: number | undefined; clientCpu: number | undefined } {
  return { serverCpu: cpuPercent(result.server), clientCpu: cpuPercent(result.client) };
}
