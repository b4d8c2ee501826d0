/**
 * End-to-end bulk throughput over loopback TCP: one connection, 64 KiB messages one way, the
 * sender and the receiver in separate processes (one core each when `taskset` is available).
 *
 * Measured in one run, each `--repeats` times (median, min–max):
 * - p2p:          our public API: `connect`/`authenticate` → `accept({ codec: bytesCodec })`,
 *                 `await conn.write(payload)` (backpressure) on the sender, a `read()` loop on
 *                 the receiver.
 * - tcp:          the same two-process shape with plain `net` sockets and no crypto: the ceiling
 *                 of the transport itself.
 * - secretstream: @hyperswarm/secret-stream (Noise handshake, libsodium secretstream) over the
 *                 same sockets, if it loads: a peer library doing the same job.
 * - secretbox:    raw `crypto_secretbox_detached` (and `_open_detached`) on 64 KiB in this
 *                 process, single core: the crypto ceiling of one side of a p2p connection.
 *
 * Throughput is counted by the receiver over a window that starts `--warmup` seconds after its
 * first message and ends at its last one, in MB/s of message payload (MB = 10^6 bytes).
 *
 * Run:     ./node_modules/.bin/node bench/bulk-loopback.ts [--seconds=5] [--repeats=3]
 *            [--warmup=1] [--kinds=p2p,tcp,secretstream] [--message-size=65536] [--no-pin] [--noisy-retries=2]
 *            [--profile=DIR]   (adds --cpu-prof to the p2p children; see bench/profile-summary.ts)
 * Last line: one JSON object with bulk_mbps, secretbox_mbps, bulk_over_secretbox,
 *            plain_tcp_mbps, secretstream_mbps, bulk_over_secretstream, ...
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { cpus } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  authenticate,
  bytesCodec,
  connect,
  emptyMetadataConfig,
  identityFromKeys,
  SANDBOXED_MAVRYK,
  type Identity,
} from '../src/main/index.ts';
import { announcedVersion, generateKeyPair, nodeLocalVersions } from '../src/wire/index.ts';
import { argValue, canPin, Child, countArg, formatSpread, MB, numberArg, round, secretboxRate, spread, systemCpu, type Spread } from './common.ts';

const SELF = fileURLToPath(import.meta.url);
const KINDS = ['p2p', 'tcp', 'secretstream'] as const;
type Kind = (typeof KINDS)[number];
type Role = 'sender' | 'receiver';

const argv = process.argv.slice(2);
const SECONDS = numberArg(argv, 'seconds', 5);
const REPEATS = Math.max(1, countArg(argv, 'repeats', 3));
/** JIT and heap warm-up: throughput climbs for the first ~1 s of a connection. */
const WARMUP = numberArg(argv, 'warmup', 1);
const MESSAGE_SIZE = Math.round(numberArg(argv, 'message-size', 64 * 1024));
/** Seconds a child may live past its planned run before it gives up on its own. */
const CHILD_GRACE_SECONDS = 60;

// ====================================================================== child processes

type ChildMessage =
  | { readonly type: 'listening'; readonly port: number }
  | {
      readonly type: 'result';
      readonly role: Role;
      /** Payload bytes in the measured window (receiver) or sent in total (sender). */
      readonly bytes: number;
      readonly seconds: number;
      readonly messages: number;
      /** user + system CPU time over the window, percent of one core. */
      readonly cpuPercent: number;
      /** user + system CPU milliseconds of the whole process so far. */
      readonly cpuTotalMs: number;
    }
  | { readonly type: 'error'; readonly role: Role; readonly message: string };

function totalCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function report(message: ChildMessage): void {
  process.send?.(message);
}

/** Same identity shape as a node's, at difficulty 0 (any stamp passes, protocol.md §2). */
function benchIdentity(): Identity {
  const { secretKey } = generateKeyPair();
  return identityFromKeys(secretKey, randomBytes(24));
}

function p2pOptions() {
  return {
    identity: benchIdentity(),
    announcedVersion: announcedVersion(nodeLocalVersions(SANDBOXED_MAVRYK)),
    metadata: emptyMetadataConfig,
    proofOfWorkDifficulty: 0,
    timeout: 10_000,
  };
}

/** Receiver-side meter: payload bytes after the warm-up, up to the last arrival. */
class Meter {
  private readonly warmupMs: number;
  private firstAt = -1;
  private startAt = -1;
  private startBytes = 0;
  private startCpu: NodeJS.CpuUsage | undefined;
  private lastAt = -1;
  private lastBytes = 0;
  private total = 0;
  messages = 0;

  constructor(warmupSeconds: number) {
    this.warmupMs = warmupSeconds * 1000;
  }

  add(bytes: number): void {
    const now = performance.now();
    this.total += bytes;
    if (this.startAt >= 0) {
      this.messages++;
      this.lastAt = now;
      this.lastBytes = this.total;
    } else if (this.firstAt < 0) {
      this.firstAt = now;
    } else if (now - this.firstAt >= this.warmupMs) {
      this.startAt = now;
      this.startBytes = this.total;
      this.startCpu = process.cpuUsage();
    }
  }

  result(): ChildMessage {
    if (this.lastAt <= this.startAt) throw new Error(`receiver got ${this.total} bytes: too little to measure past the warm-up`);
    const ms = this.lastAt - this.startAt;
    const cpu = process.cpuUsage(this.startCpu);
    return {
      type: 'result',
      role: 'receiver',
      bytes: this.lastBytes - this.startBytes,
      seconds: ms / 1000,
      messages: this.messages,
      cpuPercent: ((cpu.user + cpu.system) / 1000 / ms) * 100,
      cpuTotalMs: totalCpuMs(),
    };
  }
}

async function runReceiver(kind: Kind): Promise<ChildMessage> {
  const server = createServer({ pauseOnConnect: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  report({ type: 'listening', port: address.port });
  const [socket] = (await once(server, 'connection')) as [Socket];
  server.close();
  const meter = new Meter(WARMUP);
  if (kind === 'p2p') {
    const auth = await authenticate(socket, { ...p2pOptions(), incoming: true });
    const conn = await auth.accept({ codec: bytesCodec });
    for (;;) {
      try {
        const { message } = await conn.read();
        meter.add(message.length);
      } catch (error) {
        if ((error as { code?: unknown }).code === 'CONNECTION_CLOSED') break;
        throw error;
      }
    }
    await conn.close();
  } else if (kind === 'tcp') {
    socket.on('data', (data: Buffer) => meter.add(data.length));
    const ended = once(socket, 'end');
    socket.resume();
    await ended;
    socket.destroy();
  } else {
    const { default: SecretStream } = await import('@hyperswarm/secret-stream');
    const stream = new SecretStream(false, socket);
    stream.on('data', (data: Buffer) => meter.add(data.length));
    const ended = new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    socket.resume();
    await ended;
    stream.destroy();
    socket.destroy();
  }
  return meter.result();
}

async function runSender(kind: Kind, port: number): Promise<ChildMessage> {
  const payload = randomBytes(MESSAGE_SIZE);
  const runMs = (WARMUP + SECONDS) * 1000;
  let messages = 0;
  let started = 0;
  let cpu: NodeJS.CpuUsage | undefined;
  let finished = 0;
  const begin = (): void => {
    started = performance.now();
    cpu = process.cpuUsage();
  };
  const end = (): void => {
    finished = performance.now();
    cpu = process.cpuUsage(cpu);
  };
  if (kind === 'p2p') {
    const auth = await connect('127.0.0.1', port, p2pOptions());
    const conn = await auth.accept({ codec: bytesCodec });
    begin();
    while (performance.now() - started < runMs) {
      await conn.write(payload); // resolves at once while the outgoing queue has room
      messages++;
    }
    end();
    await conn.close({ wait: true });
  } else {
    const socket = netConnect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    socket.setNoDelay(true);
    type Writable = { write(data: Buffer): boolean; once(event: 'drain', listener: () => void): unknown; end(): void };
    let stream: Writable = socket;
    if (kind === 'secretstream') {
      const { default: SecretStream } = await import('@hyperswarm/secret-stream');
      const secret = new SecretStream(true, socket);
      await new Promise<void>((resolve, reject) => {
        secret.once('connect', resolve);
        secret.on('error', reject);
      });
      stream = secret;
    }
    begin();
    while (performance.now() - started < runMs) {
      if (!stream.write(payload)) await new Promise<void>((resolve) => stream.once('drain', resolve));
      messages++;
    }
    end();
    const closed = once(socket, 'close');
    stream.end();
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    socket.destroy();
  }
  const ms = finished - started;
  const used = cpu!;
  return {
    type: 'result',
    role: 'sender',
    bytes: messages * MESSAGE_SIZE,
    seconds: ms / 1000,
    messages,
    cpuPercent: ((used.user + used.system) / 1000 / ms) * 100,
    cpuTotalMs: totalCpuMs(),
  };
}

async function childMain(role: Role, kind: Kind): Promise<void> {
  let done = false;
  // Never outlive the parent, nor the planned run by more than the grace period.
  process.on('disconnect', () => {
    if (!done) process.exit(4);
  });
  setTimeout(() => {
    console.error(`bulk-loopback ${role}/${kind}: still running after the time limit, exiting`);
    process.exit(3);
  }, (WARMUP + SECONDS + CHILD_GRACE_SECONDS) * 1000).unref();
  try {
    const result = role === 'receiver' ? await runReceiver(kind) : await runSender(kind, Number(argValue(argv, 'port')));
    done = true;
    report(result);
  } catch (error) {
    done = true;
    report({ type: 'error', role, message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    process.exitCode = 1;
  }
  process.disconnect?.();
}

// ====================================================================== parent

interface Pinning {
  readonly pinned: boolean;
  readonly note: string;
}

/** `taskset -c 0` for the sender and `-c 1` for the receiver, when both cores can be used. */
function pinning(): Pinning {
  if (argv.includes('--no-pin')) return { pinned: false, note: 'unpinned (--no-pin)' };
  if (!canPin()) return { pinned: false, note: 'unpinned (taskset missing or core 1 unavailable)' };
  return { pinned: true, note: 'pinned: sender taskset -c 0, receiver taskset -c 1' };
}

interface RunResult {
  readonly mbps: number;
  readonly senderCpu: number;
  readonly receiverCpu: number;
  /** CPU used by other processes during the run, percent of one core (undefined off Linux). */
  readonly otherCpu: number | undefined;
  /** CPU time the hypervisor took (steal), percent of one core (undefined off Linux). */
  readonly stealCpu: number | undefined;
}

/** Runs above this much foreign CPU load (percent of one core) are flagged as noisy. */
const NOISY_OTHER_CPU = 20;
/** Extra attempts for a noisy run, per run slot. */
const NOISY_RETRIES = countArg(argv, 'noisy-retries', 2);

function isNoisy(result: RunResult): boolean {
  return result.otherCpu !== undefined && result.otherCpu > NOISY_OTHER_CPU;
}

async function measure(kind: Kind, run: string, pin: Pinning, profileDir: string | undefined): Promise<RunResult> {
  const spawnArgs = (role: Role, core: number, extra: readonly string[]): [string, string[]] => {
    const nodeArgs = [
      ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${kind}-${role}-${run}.cpuprofile`] : []),
      SELF,
      `--role=${role}`,
      `--kind=${kind}`,
      `--seconds=${SECONDS}`,
      `--warmup=${WARMUP}`,
      `--message-size=${MESSAGE_SIZE}`,
      ...extra,
    ];
    return pin.pinned ? ['taskset', ['-c', String(core), process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  };
  const children: Child<ChildMessage>[] = [];
  const cpuBefore = systemCpu();
  const ownBefore = process.cpuUsage();
  const started = performance.now();
  let received: Extract<ChildMessage, { type: 'result' }>;
  let sent: Extract<ChildMessage, { type: 'result' }>;
  try {
    const receiver = new Child<ChildMessage>(`${kind} receiver`, ...spawnArgs('receiver', 1, []));
    children.push(receiver);
    const { port } = await receiver.expect('listening', 15_000);
    const sender = new Child<ChildMessage>(`${kind} sender`, ...spawnArgs('sender', 0, [`--port=${port}`]));
    children.push(sender);
    const limit = (WARMUP + SECONDS + 30) * 1000;
    [received, sent] = await Promise.all([receiver.expect('result', limit), sender.expect('result', limit)]);
  } finally {
    await Promise.all(children.map((child) => child.finish(15_000)));
  }
  const cpuAfter = systemCpu();
  const wallMs = performance.now() - started;
  let otherCpu: number | undefined;
  let stealCpu: number | undefined;
  if (cpuBefore && cpuAfter) {
    const own = process.cpuUsage(ownBefore);
    const oursMs = received.cpuTotalMs + sent.cpuTotalMs + (own.user + own.system) / 1000;
    otherCpu = Math.max(0, ((cpuAfter.busyMs - cpuBefore.busyMs - oursMs) / wallMs) * 100);
    stealCpu = ((cpuAfter.stealMs - cpuBefore.stealMs) / wallMs) * 100;
  }
  return {
    mbps: received.bytes / received.seconds / MB,
    senderCpu: sent.cpuPercent,
    receiverCpu: received.cpuPercent,
    otherCpu,
    stealCpu,
  };
}


async function secretStreamLoads(): Promise<boolean> {
  try {
    await import('@hyperswarm/secret-stream');
    return true;
  } catch {
    return false;
  }
}

async function parentMain(): Promise<void> {
  const pin = pinning();
  const requested = (argValue(argv, 'kinds') ?? KINDS.join(',')).split(',');
  for (const kind of requested) if (!(KINDS as readonly string[]).includes(kind)) throw new RangeError(`unknown kind ${kind}`);
  const kinds = KINDS.filter((kind) => requested.includes(kind));
  const notes: string[] = [];
  if (kinds.includes('secretstream') && !(await secretStreamLoads())) {
    kinds.splice(kinds.indexOf('secretstream'), 1);
    notes.push('secretstream skipped: @hyperswarm/secret-stream does not load');
  }
  const profileText = argValue(argv, 'profile');
  const profileDir = profileText === undefined ? undefined : resolvePath(profileText);
  if (profileDir) mkdirSync(profileDir, { recursive: true });

  console.log(
    `bulk-loopback: node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown cpu'}; ` +
      `${MESSAGE_SIZE}-byte messages, ${SECONDS} s (+${WARMUP} s warm-up) × ${REPEATS}; ${pin.note}`,
  );

  const runs = new Map<Kind, RunResult[]>(kinds.map((kind) => [kind, []]));
  let noisyRuns = 0;
  // Interleaved (p2p, tcp, secretstream, p2p, ...) so slow drift of the machine hits all alike.
  for (let run = 1; run <= REPEATS; run++) {
    for (const kind of kinds) {
      // A run another process competed with is kept and shown, but retried (a bounded number of
      // times) so the medians can come from clean runs.
      for (let attempt = 0; attempt <= NOISY_RETRIES; attempt++) {
        const label = `${kind.padEnd(12)} run ${run}${attempt > 0 ? ` retry ${attempt}` : ''}`;
        try {
          const tag = attempt > 0 ? `${run}-retry${attempt}` : String(run);
          const result = await measure(kind, tag, pin, kind === 'p2p' ? profileDir : undefined);
          const noisy = isNoisy(result);
          runs.get(kind)!.push(result);
          if (noisy) noisyRuns++;
          const load =
            result.otherCpu === undefined ? '' : `, other processes ${result.otherCpu.toFixed(0)}%, steal ${result.stealCpu!.toFixed(0)}%`;
          console.log(
            `  ${label}: ${result.mbps.toFixed(1)} MB/s ` +
              `(sender CPU ${result.senderCpu.toFixed(0)}%, receiver CPU ${result.receiverCpu.toFixed(0)}%${load})` +
              (noisy ? '  <- NOISY: another process competed for the CPUs' : ''),
          );
          if (!noisy) break;
        } catch (error) {
          console.error(`  ${label} failed: ${error instanceof Error ? error.message : String(error)}`);
          process.exitCode = 1;
          break;
        }
      }
    }
  }

  const sealRates: number[] = [];
  const openRates: number[] = [];
  secretboxRate('seal', MESSAGE_SIZE, 200); // warm-up
  for (let run = 0; run < REPEATS; run++) {
    sealRates.push(secretboxRate('seal', MESSAGE_SIZE, 1000));
    openRates.push(secretboxRate('open', MESSAGE_SIZE, 1000));
  }

  const summarize = (kind: Kind): { mb: Spread; sender: Spread; receiver: Spread; clean: number; all: number } | undefined => {
    const all = runs.get(kind) ?? [];
    const clean = all.filter((r) => !isNoisy(r));
    // Medians over the clean runs when there are any; over all runs otherwise.
    const list = clean.length > 0 ? clean : all;
    if (list.length === 0) return undefined;
    return {
      clean: clean.length,
      all: all.length,
      mb: spread(list.map((r) => r.mbps)),
      sender: spread(list.map((r) => r.senderCpu)),
      receiver: spread(list.map((r) => r.receiverCpu)),
    };
  };
  const p2p = summarize('p2p');
  const tcp = summarize('tcp');
  const secretstream = summarize('secretstream');
  const seal = spread(sealRates);
  const open = spread(openRates);

  const labels: Record<Kind, string> = {
    p2p: 'p2p-socket bulk (2 processes)',
    tcp: 'plain TCP (2 processes)',
    secretstream: '@hyperswarm/secret-stream (2 processes)',
  };
  const rows: Array<Record<string, string | number>> = [];
  for (const [kind, s] of [['p2p', p2p], ['tcp', tcp], ['secretstream', secretstream]] as const) {
    if (!s) continue;
    rows.push({
      case: labels[kind],
      'MB/s median (min–max)': formatSpread(s.mb, 1),
      'clean/all runs': `${s.clean}/${s.all}`,
      'sender CPU %': s.sender.median.toFixed(0),
      'receiver CPU %': s.receiver.median.toFixed(0),
      'p2p ÷ this': p2p ? (p2p.mb.median / s.mb.median).toFixed(3) : '',
    });
  }
  rows.push({ case: 'secretbox seal, 1 core (parent)', 'MB/s median (min–max)': formatSpread(seal, 1), 'clean/all runs': `${REPEATS}`, 'sender CPU %': '', 'receiver CPU %': '', 'p2p ÷ this': p2p ? (p2p.mb.median / seal.median).toFixed(3) : '' });
  rows.push({ case: 'secretbox open, 1 core (parent)', 'MB/s median (min–max)': formatSpread(open, 1), 'clean/all runs': `${REPEATS}`, 'sender CPU %': '', 'receiver CPU %': '', 'p2p ÷ this': p2p ? (p2p.mb.median / open.median).toFixed(3) : '' });
  console.table(rows);
  if (noisyRuns > 0) notes.push(`${noisyRuns} run(s) flagged NOISY (> ${NOISY_OTHER_CPU}% of a core used by other processes): rerun on a quiet machine`);
  for (const note of notes) console.log(note);
  if (profileDir) console.log(`CPU profiles of the p2p children: ${profileDir} (summarize: node bench/profile-summary.ts ${profileDir}/*.cpuprofile)`);

  const ratio = (a: Spread | undefined, b: Spread | undefined): number | null => (a && b ? round(a.median / b.median, 3) : null);
  console.log(
    JSON.stringify({
      suite: 'bulk-loopback',
      unit: 'MB/s = 1e6 payload bytes per second',
      node: process.version,
      message_size: MESSAGE_SIZE,
      seconds: SECONDS,
      repeats: REPEATS,
      pinned: pin.pinned,
      noisy_runs: noisyRuns,
      bulk_clean_runs: p2p ? p2p.clean : 0,
      bulk_mbps: p2p ? round(p2p.mb.median, 1) : null,
      bulk_mbps_min: p2p ? round(p2p.mb.min, 1) : null,
      bulk_mbps_max: p2p ? round(p2p.mb.max, 1) : null,
      bulk_sender_cpu_pct: p2p ? round(p2p.sender.median, 0) : null,
      bulk_receiver_cpu_pct: p2p ? round(p2p.receiver.median, 0) : null,
      secretbox_mbps: round(seal.median, 1),
      secretbox_open_mbps: round(open.median, 1),
      bulk_over_secretbox: ratio(p2p?.mb, seal),
      plain_tcp_mbps: tcp ? round(tcp.mb.median, 1) : null,
      bulk_over_plain_tcp: ratio(p2p?.mb, tcp?.mb),
      secretstream_mbps: secretstream ? round(secretstream.mb.median, 1) : null,
      bulk_over_secretstream: ratio(p2p?.mb, secretstream?.mb),
    }),
  );
}

const role = argValue(argv, 'role');
const kind = argValue(argv, 'kind');
if (role === 'sender' || role === 'receiver') {
  if (!(KINDS as readonly (string | undefined)[]).includes(kind)) throw new RangeError(`unknown kind ${String(kind)}`);
  await childMain(role, kind as Kind);
} else {
  await parentMain();
}
