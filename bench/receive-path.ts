/**
 * CPU the receiving side of a pool spends per message, reading with `read` against `readLent`
 * (a body lent and released after it is parsed: api.md, "Lent messages").
 *
 * The receiver is a `Pool` in this process (`--workers=0` inline, or sharded), with one
 * connection; the sender is a `Pool` with `workers: 0` in a child process that dials it and writes
 * `--size`-byte messages (default 64 KiB) with `await conn.write` as fast as the receiver takes
 * them, so `process.cpuUsage()` here (every thread of this process: main and, sharded, its
 * shards) is the receiver's CPU alone. The reader parses and drops: it reads the first four bytes
 * of each body. After `--warmup` messages, one window of `--messages` is measured: CPU µs per
 * message, main-thread GC µs per message (perf_hooks 'gc' entries) and full mark-compacts.
 *
 *   --read=plain   `conn.readNow() ?? await conn.read()`
 *   --read=lent    `conn.readLentNow() ?? await conn.readLent()`, released after the parse
 *
 * Run one:  ./node_modules/.bin/node bench/receive-path.ts --read=lent [--workers=0] [--size=65536]
 *             [--messages=8000] [--warmup=2000]
 *           prints one JSON line.
 * Compare:  ./node_modules/.bin/node bench/receive-path.ts --compare [--runs=5] [--workers=0] …
 *           runs plain and lent alternately, each in a fresh process, and prints each run and
 *           then the medians and ranges. On a shared machine only alternating runs compare.
 */
import { fork, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { Connection } from '../src/main/connection.ts';
import { benchPool } from './bench-pool.ts';
import { argValue, numberArg } from './common.ts';
import { watchGc } from './gc-watch.ts';

type Conn = Connection<Uint8Array, undefined>;
const argv = process.argv.slice(2);
const READ = argValue(argv, 'read') ?? 'plain';
/** 0: inline (numberArg takes positive numbers only). */
const WORKERS = Number(argValue(argv, 'workers') ?? 0);
const SIZE = numberArg(argv, 'size', 64 * 1024);
const MESSAGES = numberArg(argv, 'messages', 8000);
const WARMUP = numberArg(argv, 'warmup', 2000);
const RUNS = numberArg(argv, 'runs', 5);

// ------------------------------------------------------------------ sender (child process)

async function sendForever(port: number): Promise<void> {
  const pool = benchPool(0);
  const conn = await pool.connect({ host: '127.0.0.1', port });
  process.on('disconnect', () => void pool.close().then(() => process.exit(0)));
  const payload = randomBytes(SIZE);
  try {
    for (;;) await conn.write(payload);
  } catch {
    // the receiver closed
  }
}

// ------------------------------------------------------------------ receiver

/** Takes `count` messages the way `--read` says, parsing the first four bytes of each. */
async function take(conn: Conn, count: number): Promise<number> {
  let sum = 0;
  if (READ === 'lent') {
    for (let i = 0; i < count; i++) {
      const lent = conn.readLentNow() ?? (await conn.readLent());
      const body = lent.body;
      if (body.length >= 4) sum += body[0]! ^ body[3]!;
      lent.release();
    }
  } else if (READ === 'plain') {
    for (let i = 0; i < count; i++) {
      const { message } = conn.readNow() ?? (await conn.read());
      if (message.length >= 4) sum += message[0]! ^ message[3]!;
    }
  } else throw new RangeError(`--read: plain or lent, not ${READ}`);
  return sum;
}

async function receive(): Promise<void> {
  const pool = benchPool(WORKERS);
  const accepted = once(pool, 'connection') as Promise<[Conn]>;
  const { port } = await pool.listen({ host: '127.0.0.1', port: 0 });
  const child = fork(new URL(import.meta.url), ['--sender', String(port), `--size=${SIZE}`], { stdio: 'inherit' });
  const [conn] = await accepted;
  await take(conn, WARMUP);
  const gc = watchGc();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await take(conn, MESSAGES);
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - t0) / 1000;
  const { gcMs, majors } = await gc.stop();
  console.log(
    JSON.stringify({
      read: READ,
      workers: WORKERS,
      size: SIZE,
      messages: MESSAGES,
      cpu_us_per_msg: round2((used.user + used.system) / MESSAGES),
      gc_us_per_msg: round2((gcMs * 1000) / MESSAGES),
      major_gcs: majors,
      seconds: round2(seconds),
    }),
  );
  child.disconnect();
  await pool.close();
}

// ------------------------------------------------------------------ alternating comparison

function compare(): void {
  const self = fileURLToPath(import.meta.url);
  const passOn = argv.filter((arg) => !arg.startsWith('--compare') && !arg.startsWith('--runs') && !arg.startsWith('--read'));
  const results: Record<string, number[]> = { plain: [], lent: [] };
  for (let run = 0; run < RUNS; run++) {
    for (const read of run % 2 === 0 ? ['plain', 'lent'] : ['lent', 'plain']) {
      const line = execFileSync(process.execPath, [self, `--read=${read}`, ...passOn], { encoding: 'utf8' }).trim().split('\n').at(-1)!;
      console.log(line);
      results[read]!.push((JSON.parse(line) as { cpu_us_per_msg: number }).cpu_us_per_msg);
    }
  }
  const summary = Object.fromEntries(
    Object.entries(results).map(([read, values]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return [read, { median: sorted[Math.floor(sorted.length / 2)]!, min: sorted[0]!, max: sorted.at(-1)! }];
    }),
  );
  console.log(JSON.stringify({ workers: WORKERS, size: SIZE, runs: RUNS, cpu_us_per_msg: summary }));
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

if (argv[0] === '--sender') await sendForever(Number(argv[1]));
else if (argv.includes('--compare')) compare();
else await receive();
