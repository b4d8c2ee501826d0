/**
 * `p2p-socket load` and `load merge` command lines: every value checked before any process,
 * identity or socket exists (a bad flag or threshold is a usage error, exit 2).
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { SANDBOXED_MAVRYK } from '../../shared/wire/network-version.ts';
import { DEFAULT_MAX_MESSAGE_SIZE } from '../../main/options.ts';
import { difficultyOf, integerOf, parseHostPort, stringOf, UsageError, type Options, type Values } from '../flag-parser.ts';
import { parseChainId } from '../chain-id-option.ts';
import { checkReportPath } from '../report-path.ts';
import { LOAD_MERGE_USAGE, LOAD_USAGE } from './load-usage.ts';
import { DEFAULT_MIX, mixText as mixTextOf, MixSyntaxError, parseMix, throttleSafeRate, type Mix } from './node-mix.ts';
import type { NodeTrafficSpec } from './node-traffic.ts';
import { parseThreshold, ThresholdSyntaxError, type Threshold } from './thresholds.ts';

export type LoadMode = 'echo' | 'send' | 'churn' | 'node';

/** Message sizes: `--size B`, `--sizes a,b,c` (equally likely) or `--size-dist FILE` (weighted). */
export type SizeSpec = { readonly kind: 'fixed'; readonly sizes: readonly number[] } | { readonly kind: 'file'; readonly path: string };

export interface LoadOptions {
  /** `undefined`: start an embedded pool-backed target (`listen --workers`) in a child process. */
  readonly target: { readonly host: string; readonly port: number } | undefined;
  readonly targetWorkers: number;
  /**
   * Flags passed to the embedded target's `listen` (`--metrics-port P`): its pool is what they
   * configure. Refused with HOST:PORT.
   */
  readonly targetFlags: readonly string[];
  readonly connections: number;
  /**
   * Connections that must be reached (`connections_reached`) for the run to pass: checked as the
   * threshold `connections>=N`. Default `connections`; undefined in churn mode, where connections
   * come and go.
   */
  readonly minConnections: number | undefined;
  /** New connections per second in total; `undefined`: as fast as `connectConcurrency` allows. */
  readonly ramp: number | undefined;
  readonly duration: number;
  readonly warmup: number;
  readonly mode: LoadMode;
  readonly inFlight: number;
  /** Messages (churn: handshakes) per second in total, open loop; `undefined`: closed loop. */
  readonly rate: number | undefined;
  readonly size: SizeSpec;
  /** `undefined`: chosen from the cores (load-command.ts, defaultProcesses). */
  readonly processes: number | undefined;
  readonly identitiesFile: string | undefined;
  readonly difficulty: number;
  readonly allowDuplicatePeers: boolean;
  readonly thresholds: readonly Threshold[];
  readonly json: boolean;
  /** `--report`: an absolute path whose directory existed and was writable when the options were read. */
  readonly report: string | undefined;
  readonly chain: string;
  readonly timeout: number;
  readonly connectConcurrency: number;
  /** `--mode node`: the mix, the chain and the pace; `undefined` in the other modes. */
  readonly node: NodeTrafficSpec | undefined;
}

export interface LoadMergeOptions {
  readonly files: readonly string[];
  readonly thresholds: readonly Threshold[];
  readonly json: boolean;
  readonly report: undefined;
}

export const LOAD_DEFAULTS = {
  connections: 100,
  duration: 10,
  warmup: 0,
  mode: 'echo',
  inFlight: 1,
  size: 100,
  targetWorkers: 1,
  timeout: 10_000,
  /**
   * Handshakes in flight at once over all processes. A node closes new sockets at once past 20
   * incoming handshakes in flight (protocol.md §11.4), and a Pool with default limits admits only
   * 10 of them from one address (handshake-admission.ts); the generator dials from one address,
   * and the target frees a slot a little after our side of the handshake ends: at 16, a default
   * `listen --workers 2` closed 20 of 60 dials, at 8 about 2 (those are dialled again,
   * target-dial.ts).
   */
  connectConcurrency: 8,
} as const;

const LOAD_FLAGS: Options = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  connections: { type: 'string' },
  'min-connections': { type: 'string' },
  ramp: { type: 'string' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  mode: { type: 'string' },
  'in-flight': { type: 'string' },
  rate: { type: 'string' },
  size: { type: 'string' },
  sizes: { type: 'string' },
  'size-dist': { type: 'string' },
  processes: { type: 'string' },
  'target-workers': { type: 'string' },
  'metrics-port': { type: 'string' },
  'max-upload-speed': { type: 'string' },
  'max-download-speed': { type: 'string' },
  identities: { type: 'string' },
  difficulty: { type: 'string' },
  'allow-duplicate-peers': { type: 'boolean' },
  threshold: { type: 'string', multiple: true },
  report: { type: 'string' },
  chain: { type: 'string' },
  timeout: { type: 'string' },
  'connect-concurrency': { type: 'string' },
  mix: { type: 'string' },
  'chain-id': { type: 'string' },
  'rate-per-connection': { type: 'string' },
};

const MERGE_FLAGS: Options = { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' }, threshold: { type: 'string', multiple: true } };

/** The largest message body: its 4-byte length prefix must fit the receiver's default limit. */
export const MAX_LOAD_SIZE = DEFAULT_MAX_MESSAGE_SIZE - 4;

export function parseLoad(argv: readonly string[]): LoadOptions {
  const u = LOAD_USAGE;
  const { values, positionals } = parseOptionalTarget(argv, u);
  const target = positionals[0] === undefined ? undefined : parseHostPort(positionals[0], u);
  const mode = stringOf(values, 'mode', u) ?? LOAD_DEFAULTS.mode;
  if (mode !== 'echo' && mode !== 'send' && mode !== 'churn' && mode !== 'node') throw new UsageError(`--mode must be echo, send, churn or node, got ${JSON.stringify(mode)}`, u);
  const targetWorkers = integerOf(values, 'target-workers', 0, 256, u);
  if (target !== undefined && targetWorkers !== undefined) throw new UsageError('--target-workers is for the embedded target (no HOST:PORT)', u);
  const targetFlags = embeddedTargetFlags(values, u);
  if (target !== undefined && targetFlags.length > 0) throw new UsageError(`${targetFlags[0]} is for the embedded target (no HOST:PORT)`, u);
  const connections = integerOf(values, 'connections', 1, 1_000_000, u) ?? LOAD_DEFAULTS.connections;
  const minConnections = integerOf(values, 'min-connections', 1, connections, u);
  if (mode === 'churn' && minConnections !== undefined) {
    throw new UsageError("--min-connections is for echo, send and node modes: in churn mode connections come and go (use --threshold 'handshake_errors==0')", u);
  }
  const rate = positiveNumberOf(values, 'rate', u);
  const node = nodeTrafficOf(values, mode, connections, rate, u);
  return {
    target,
    targetWorkers: targetWorkers ?? LOAD_DEFAULTS.targetWorkers,
    targetFlags,
    connections,
    minConnections: mode === 'churn' ? undefined : (minConnections ?? connections),
    ramp: positiveNumberOf(values, 'ramp', u),
    duration: positiveNumberOf(values, 'duration', u) ?? LOAD_DEFAULTS.duration,
    warmup: numberOf(values, 'warmup', 0, u) ?? LOAD_DEFAULTS.warmup,
    mode,
    inFlight: integerOf(values, 'in-flight', 1, 1_000_000, u) ?? LOAD_DEFAULTS.inFlight,
    // Node mode paces each connection itself (node.ratePerConnection).
    rate: node === undefined ? rate : undefined,
    size: sizeSpec(values, u),
    processes: integerOf(values, 'processes', 1, 1024, u),
    identitiesFile: stringOf(values, 'identities', u),
    difficulty: difficultyOf(values, u) ?? 0,
    allowDuplicatePeers: values['allow-duplicate-peers'] === true,
    thresholds: thresholdsOf(values, u),
    json: values['json'] === true,
    report: checkReportPath(stringOf(values, 'report', u), u),
    chain: stringOf(values, 'chain', u) ?? SANDBOXED_MAVRYK,
    timeout: integerOf(values, 'timeout', 1, 2 ** 31 - 1, u) ?? LOAD_DEFAULTS.timeout,
    connectConcurrency: integerOf(values, 'connect-concurrency', 1, 100_000, u) ?? LOAD_DEFAULTS.connectConcurrency,
    node,
  };
}

/**
 * `--mode node`'s flags. The pace per connection: `--rate-per-connection R` (or `max`, a closed
 * loop of `--in-flight` requests), else `--rate` spread over the connections, which must stay
 * under the rate a real node takes without delaying requests (node-mix.ts), else that rate.
 */
function nodeTrafficOf(values: Values, mode: LoadMode, connections: number, rate: number | undefined, u: string): NodeTrafficSpec | undefined {
  const nodeFlags = ['mix', 'chain-id', 'rate-per-connection'].filter((name) => values[name] !== undefined);
  if (mode !== 'node') {
    if (nodeFlags.length > 0) throw new UsageError(`--${nodeFlags[0]} is for --mode node`, u);
    return undefined;
  }
  const sizeFlag = ['size', 'sizes', 'size-dist'].find((name) => values[name] !== undefined);
  if (sizeFlag !== undefined) throw new UsageError(`--${sizeFlag} is not for --mode node: its messages are the node's requests`, u);
  let mix: Mix = DEFAULT_MIX;
  const mixText = stringOf(values, 'mix', u);
  if (mixText !== undefined) {
    try {
      mix = parseMix(mixText);
    } catch (error) {
      if (error instanceof MixSyntaxError) throw new UsageError(`--mix: ${error.message}`, u);
      throw error;
    }
  }
  const chainId = parseChainId(values, u);
  const perConnectionText = stringOf(values, 'rate-per-connection', u);
  const safe = throttleSafeRate(mix);
  let ratePerConnection: number | undefined;
  if (perConnectionText !== undefined) {
    if (rate !== undefined) throw new UsageError('--rate and --rate-per-connection exclude each other', u);
    if (perConnectionText !== 'max') {
      ratePerConnection = Number(perConnectionText);
      if (!/^[0-9]+(\.[0-9]+)?$/.test(perConnectionText) || !(ratePerConnection > 0)) throw new UsageError(`--rate-per-connection must be a number > 0 or max, got ${JSON.stringify(perConnectionText)}`, u);
    }
  } else if (rate !== undefined) {
    ratePerConnection = rate / connections;
    if (ratePerConnection > safe) {
      throw new UsageError(
        `--rate ${rate} over ${connections} connections is ${ratePerConnection.toFixed(3)} requests/s per connection, more than a real node ` +
          `takes without delaying them (${safe.toFixed(3)} with --mix ${mixTextOf(mix)}, node-mix.ts): use --connections ${Math.ceil(rate / safe)} ` +
          'or more, or --rate-per-connection to go past it against your own target',
        u,
      );
    }
  } else {
    ratePerConnection = safe;
  }
  return { mix, chainId: chainId === undefined ? undefined : Buffer.from(chainId).toString('hex'), ratePerConnection };
}

/** The embedded target's pool flags, checked here and handed to its `listen` as they are. */
function embeddedTargetFlags(values: Values, u: string): string[] {
  const flags: string[] = [];
  const metricsPort = integerOf(values, 'metrics-port', 0, 65535, u);
  if (metricsPort !== undefined) flags.push('--metrics-port', String(metricsPort));
  for (const name of ['max-upload-speed', 'max-download-speed']) {
    const kib = integerOf(values, name, 0, 16 * 1024 * 1024, u);
    if (kib !== undefined) flags.push(`--${name}`, String(kib));
  }
  return flags;
}

export function parseLoadMerge(argv: readonly string[]): LoadMergeOptions {
  const u = LOAD_MERGE_USAGE;
  const { values, positionals } = parseOptionalTarget(argv, u, MERGE_FLAGS, Infinity);
  if (positionals.length < 1) throw new UsageError('load merge needs at least one summary file', u);
  return { files: positionals, thresholds: thresholdsOf(values, u), json: values['json'] === true, report: undefined };
}

/** Like flag-parser.ts `parseFlags`, with 0..`most` positionals (`crawl` takes any number of seeds). */
export function parseOptionalTarget(argv: readonly string[], usage: string, flags: Options = LOAD_FLAGS, most = 1): { values: Values; positionals: string[] } {
  let result: { values: Values; positionals: string[] };
  try {
    result = parseArgs({ args: [...argv], options: flags, strict: true, allowPositionals: true }) as { values: Values; positionals: string[] };
  } catch (error) {
    throw new UsageError((error as Error).message, usage);
  }
  if (result.positionals.length > most) throw new UsageError(`unexpected argument ${JSON.stringify(result.positionals[most])}`, usage);
  return result;
}

function numberOf(values: Values, name: string, min: number, usage: string): number | undefined {
  const text = stringOf(values, name, usage);
  if (text === undefined) return undefined;
  const value = /^[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : NaN;
  if (!(value >= min) || !Number.isFinite(value)) throw new UsageError(`--${name} must be a number ≥ ${min}, got ${JSON.stringify(text)}`, usage);
  return value;
}

function positiveNumberOf(values: Values, name: string, usage: string): number | undefined {
  const value = numberOf(values, name, 0, usage);
  if (value === 0) throw new UsageError(`--${name} must be greater than 0`, usage);
  return value;
}

function sizeSpec(values: Values, usage: string): SizeSpec {
  const given = ['size', 'sizes', 'size-dist'].filter((name) => values[name] !== undefined);
  if (given.length > 1) throw new UsageError(`--${given[0]} and --${given[1]} exclude each other`, usage);
  const dist = stringOf(values, 'size-dist', usage);
  if (dist !== undefined) return { kind: 'file', path: dist };
  const list = stringOf(values, 'sizes', usage);
  if (list !== undefined) return { kind: 'fixed', sizes: list.split(',').map((item) => sizeOf(item.trim(), '--sizes', usage)) };
  const size = stringOf(values, 'size', usage);
  return { kind: 'fixed', sizes: [size === undefined ? LOAD_DEFAULTS.size : sizeOf(size, '--size', usage)] };
}

export function sizeOf(text: string, flag: string, usage: string): number {
  const value = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(value >= 0 && value <= MAX_LOAD_SIZE)) throw new UsageError(`${flag}: sizes are integers in [0, ${MAX_LOAD_SIZE}], got ${JSON.stringify(text)}`, usage);
  return value;
}

function thresholdsOf(values: Values, usage: string): Threshold[] {
  const raw = values['threshold'] as unknown;
  const list = raw === undefined ? [] : Array.isArray(raw) ? (raw as string[]) : [String(raw)];
  return list.map((expr) => {
    try {
      return parseThreshold(expr);
    } catch (error) {
      if (error instanceof ThresholdSyntaxError) throw new UsageError(`--threshold: ${error.message}`, usage);
      throw error;
    }
  });
}

/** Generator processes when `--processes` is not given (docs/cli.md, measurements). */
export function defaultProcesses(options: LoadOptions): number {
  const cores = availableParallelism();
  // The embedded target takes its main thread plus its shard threads; the rest is ours.
  const free = options.target === undefined ? cores - 1 - options.targetWorkers : cores;
  // A process per 2,000 connections keeps each well below what one process sustains (docs/cli.md,
  // Capacity), but more processes only pay when there are cores to run them on: otherwise they
  // take CPU from the target.
  return Math.max(1, Math.min(free, Math.ceil(options.connections / 2000)));
}
