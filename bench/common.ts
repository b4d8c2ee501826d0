/**
 * Small helpers shared by the benchmark scripts: units, spreads, labels.
 *
 * Throughput everywhere in bench/ is MB/s of message payload with MB = 10^6 bytes (not MiB, not
 * megabits), so numbers from different scripts compare directly.
 */

/** Bytes per MB in every MB/s figure. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import sodium from 'sodium-native';

export const MB = 1e6;

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** The median of a non-empty list: the middle value, or the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  return spread(values).median;
}

/** Median (as `median`), minimum and maximum of a non-empty list. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError('spread of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const middle = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median: middle, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** `median (min–max)` with `digits` decimals. */
export function formatSpread(s: Spread, digits = 0): string {
  return `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
}

/** Rounds to `digits` decimals, for JSON output. */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** 100 → "100 B", 1024 → "1 KiB", 65536 → "64 KiB". */
export function sizeLabel(bytes: number): string {
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

/** Integer with thousands separators, for tables. */
export function grouped(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Command-line `--name=value` (or `--name value`) lookup; `undefined` when absent. */
export function argValue(argv: readonly string[], name: string): string | undefined {
  const flag = `--${name}`;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === flag) return argv[i + 1];
    if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
  }
  return undefined;
}

/** A positive number option, or `fallback`; throws on garbage so a typo does not run silently. */
export function numberArg(argv: readonly string[], name: string, fallback: number): number {
  const text = argValue(argv, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`--${name} must be a positive number, got ${text}`);
  return value;
}

/** A whole-number option ≥ 0, or `fallback`. */
export function countArg(argv: readonly string[], name: string, fallback: number): number {
  const text = argValue(argv, name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`--${name} must be a whole number ≥ 0, got ${text}`);
  return value;
}

/**
 * MB/s of one core running `crypto_secretbox_detached` (seal) or `_open_detached` on `size` bytes
 * for ~`ms`: MB per second of this thread's CPU time, so other processes on the core do not lower it.
 */
export function secretboxRate(mode: 'seal' | 'open', size: number, ms: number): number {
  return size / secretboxUs(mode, [size], ms); // bytes per µs = MB/s
}

/**
 * CPU µs this thread spends running `crypto_secretbox_detached` (seal) or `_open_detached` once
 * on each of `sizes` bytes (a message's chunks), over ~`ms` of wall time.
 */
export function secretboxUs(mode: 'seal' | 'open', sizes: readonly number[], ms: number): number {
  const key = randomBytes(32);
  const nonce = randomBytes(24);
  const buffers = sizes.map((size) => {
    const plain = randomBytes(size);
    const cipher = Buffer.alloc(size);
    const tag = Buffer.alloc(16);
    sodium.crypto_secretbox_detached(cipher, tag, plain, nonce, key);
    return { plain, cipher, tag };
  });
  return threadCpuUsPerCall(ms, () => {
    for (const { plain, cipher, tag } of buffers) {
      if (mode === 'seal') sodium.crypto_secretbox_detached(plain, tag, plain, nonce, key);
      else if (!sodium.crypto_secretbox_open_detached(plain, cipher, tag, nonce, key)) throw new Error('secretbox open failed');
    }
  });
}

/** CPU µs of this thread per call of `call`, run in batches of 16 for ~`ms` of wall time. */
export function threadCpuUsPerCall(ms: number, call: () => void): number {
  let calls = 0;
  const cpuBefore = process.threadCpuUsage();
  const started = performance.now();
  do {
    for (let i = 0; i < 16; i++) call();
    calls += 16;
  } while (performance.now() - started < ms);
  const cpu = process.threadCpuUsage(cpuBefore);
  return (cpu.user + cpu.system) / calls;
}

// ====================================================================== child processes

/** What children report over IPC: `type`, and for `type: 'error'` a message and where it failed. */
export interface ChildReport {
  readonly type: string;
  readonly message?: string;
  readonly phase?: string;
  readonly role?: string;
}

/** A child process with an inbox, so no message is lost between spawning and waiting. */
export class Child<M extends ChildReport> {
  readonly name: string;
  private readonly process: ChildProcess;
  private readonly inbox: M[] = [];
  private exited = false;
  private exitText = '';
  private wake: (() => void) | undefined;

  constructor(name: string, command: string, args: readonly string[]) {
    this.name = name;
    this.process = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.process.on('message', (message: M) => {
      this.inbox.push(message);
      this.wake?.();
    });
    this.process.on('exit', (code, signal) => {
      this.exited = true;
      this.exitText = signal ? `signal ${signal}` : `code ${code}`;
      this.wake?.();
    });
    this.process.on('error', (error) => {
      this.exited = true;
      this.exitText = error.message;
      this.wake?.();
    });
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  send(command: unknown): void {
    if (!this.exited && this.process.connected) this.process.send(command as object);
  }

  /** The next message of `type`; rejects on an error report, an exit, or after `timeoutMs`. */
  async expect<T extends M['type']>(type: T, timeoutMs: number): Promise<Extract<M, { type: T }>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const index = this.inbox.findIndex((m) => m.type === type || m.type === 'error');
      if (index >= 0) {
        const message = this.inbox.splice(index, 1)[0]!;
        if (message.type === 'error') throw new ChildError(this.name, message.phase ?? message.role ?? 'child', message.message ?? '');
        return message as Extract<M, { type: T }>;
      }
      if (this.exited) throw new ChildError(this.name, 'exit', `exited (${this.exitText}) before sending '${type}'`);
      const left = deadline - performance.now();
      if (left <= 0) throw new ChildError(this.name, 'timeout', `no '${type}' within ${Math.round(timeoutMs / 1000)} s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Waits up to `timeoutMs` for the child to exit (a CPU profile is written then), else kills it. */
  async finish(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!this.exited && performance.now() < deadline) await sleep(20);
    if (!this.exited) {
      console.error(`  ${this.name}: did not exit, killing pid ${this.process.pid}`);
      this.process.kill('SIGKILL');
      const killDeadline = performance.now() + 5000;
      while (!this.exited && performance.now() < killDeadline) await sleep(20);
    }
  }
}

export class ChildError extends Error {
  readonly phase: string;
  constructor(child: string, phase: string, message: string) {
    super(`${child} (${phase}): ${message}`);
    this.name = 'ChildError';
    this.phase = phase;
  }
}


/** `taskset -c 1` works (two cores usable, taskset installed). */
export function canPin(): boolean {
  const probe = spawnSync('taskset', ['-c', '1', process.execPath, '-e', ''], { stdio: 'ignore' });
  return !probe.error && probe.status === 0;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ====================================================================== machine noise

export interface SystemCpu {
  /** user + nice + system milliseconds of all cores, from /proc/stat. */
  readonly busyMs: number;
  readonly stealMs: number;
}

/** Whole-machine CPU counters, to tell a slow system from a busy machine. Linux only. */
export function systemCpu(): SystemCpu | undefined {
  let line: string | undefined;
  try {
    line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  } catch {
    return undefined;
  }
  const fields = line?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  if (fields.length < 8 || fields.some((n) => !Number.isFinite(n))) return undefined;
  // irq/softirq are left out: on loopback they are mostly our own packets.
  const [user, nice, system, , , , , steal] = fields as [number, number, number, number, number, number, number, number];
  const msPerTick = 10; // USER_HZ is 100 on Linux
  return { busyMs: (user + nice + system) * msPerTick, stealMs: steal * msPerTick };
}
