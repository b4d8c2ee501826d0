/**
 * CPU the sending side of a pool spends per message, and how much of it is garbage collection.
 *
 * The sender is a `Pool` in this process (`--workers=0` inline, or sharded); the receivers are a
 * `Pool` with `workers: 0` in a child process that dials it, so `process.cpuUsage()` here (every
 * thread of this process: main and, sharded, its shards) is the sender's CPU alone. After a
 * warm-up, one window of `--messages` deliveries is measured: CPU µs per delivered message, and
 * the GC pauses of this process's main thread (perf_hooks 'gc' entries: total µs per message and
 * the count of full mark-compacts). Shards' GC is in their CPU, not in the GC columns.
 *
 * Workloads (`--workload=`):
 *   bulk       one connection, `await conn.write(payload)` of `--size` bytes (default 64 KiB).
 *   unicast    `--connections` connections (default 20), each message `writeNow` to every one
 *              (waiting with `writable()` on a refusal), `--size` default 16 KiB.
 *   broadcast  the same deliveries by `pool.broadcast(payload)` (waiting on a drop).
 *
 * Run:   ./node_modules/.bin/node bench/send-path.ts [--workload=bulk] [--workers=0] [--size=65536]
 *          [--messages=20000] [--warmup=3000] [--connections=20]
 * Prints one JSON line: workload, workers, size, messages, cpu_us_per_msg, gc_us_per_msg,
 * major_gcs, seconds. Compare two builds by alternating runs (the machine is shared): medians
 * and spreads of several runs each.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Pool } from '../src/main/pool.ts';
import type { Connection } from '../src/main/connection.ts';
import { benchPool } from './bench-pool.ts';
import { argValue, numberArg } from './common.ts';
import { watchGc } from './gc-watch.ts';

type Conn = Connection<Uint8Array, undefined>;
const argv = process.argv.slice(2);
const WORKLOAD = argValue(argv, 'workload') ?? 'bulk';
/** 0: inline (numberArg takes positive numbers only). */
const WORKERS = Number(argValue(argv, 'workers') ?? 0);
const CONNECTIONS = WORKLOAD === 'bulk' ? 1 : numberArg(argv, 'connections', 20);
const SIZE = numberArg(argv, 'size', WORKLOAD === 'bulk' ? 64 * 1024 : 16 * 1024);
/** Deliveries measured, and delivered before the window opens. */
const MESSAGES = numberArg(argv, 'messages', 20_000);
const WARMUP = numberArg(argv, 'warmup', 3000);

function makePool(workers: number): Pool<Uint8Array, undefined> {
  return benchPool(workers, { allowDuplicatePeers: true, maxIncomingHandshakesPerAddress: 1000 });
}

// ------------------------------------------------------------------ receiver (child process)

async function receive(port: number, connections: number): Promise<void> {
  const pool = makePool(0);
  let received = 0;
  const conns = await Promise.all(Array.from({ length: connections }, () => pool.connect({ host: '127.0.0.1', port })));
  for (const conn of conns) {
    void (async () => {
      try {
        for (;;) {
          await conn.read();
          received++;
        }
      } catch {
        // the sender closed
      }
    })();
  }
  process.send!({ ready: true });
  // Asked how many arrived so far; answered in the receiver's own time.
  process.on('message', (target: number) => {
    const poll = (): void => {
      if (received >= target) process.send!({ received });
      else setTimeout(poll, 1);
    };
    poll();
  });
  process.on('disconnect', () => void pool.close().then(() => process.exit(0)));
}

// ------------------------------------------------------------------ sender

async function send(): Promise<void> {
  const pool = makePool(WORKERS);
  const accepted: Conn[] = [];
  pool.on('connection', (conn) => void accepted.push(conn));
  const { port } = await pool.listen({ host: '127.0.0.1', port: 0 });
  const child = fork(new URL(import.meta.url), ['--receiver', String(port), String(CONNECTIONS)], { stdio: 'inherit' });
  await once(child, 'message');
  while (accepted.length < CONNECTIONS) await new Promise((resolve) => setTimeout(resolve, 5));
  const payload = randomBytes(SIZE);
  let delivered = 0;

  const received = async (target: number): Promise<void> => {
    child.send(target);
    await once(child, 'message');
  };

  async function run(count: number): Promise<void> {
    const until = delivered + count;
    if (WORKLOAD === 'bulk') {
      const conn = accepted[0]!;
      while (delivered < until) {
        await conn.write(payload);
        delivered++;
      }
    } else if (WORKLOAD === 'unicast') {
      while (delivered < until) {
        for (const conn of accepted) {
          while (!conn.writeNow(payload)) await conn.writable();
          delivered++;
        }
      }
    } else if (WORKLOAD === 'broadcast') {
      while (delivered < until) {
        const { queued, dropped } = pool.broadcast(payload);
        delivered += queued;
        if (dropped > 0) await Promise.all(accepted.map((conn) => conn.writable()));
      }
    } else throw new RangeError(`--workload: bulk, unicast or broadcast, not ${WORKLOAD}`);
    await received(delivered);
  }

  await run(WARMUP);
  const gc = watchGc();
  const start = delivered;
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await run(MESSAGES);
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - t0) / 1000;
  const { gcMs, majors } = await gc.stop();
  const count = delivered - start;
  console.log(
    JSON.stringify({
      workload: WORKLOAD,
      workers: WORKERS,
      size: SIZE,
      messages: count,
      cpu_us_per_msg: Math.round(((used.user + used.system) / count) * 100) / 100,
      gc_us_per_msg: Math.round(((gcMs * 1000) / count) * 100) / 100,
      major_gcs: majors,
      seconds: Math.round(seconds * 100) / 100,
    }),
  );
  child.disconnect();
  await pool.close();
}

if (argv[0] === '--receiver') await receive(Number(argv[1]), Number(argv[2]));
else await send();
