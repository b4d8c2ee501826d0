/**
 * CPU per handshake, both sides, counted over a fixed number of handshakes (not a time window),
 * so a busy machine slows the run down but moves the per-handshake CPU much less than W3's rate.
 *
 * The work is exactly W3's (bench/load/w3-handshake.ts, through the same adapter,
 * bench/load/system-p2p.ts): a Pool server in a child process, and in this process the library's
 * `connect()` → `accept()` with a fresh identity per connection from a ring, proof of work at
 * difficulty 1 both ways, metadata, both Acks, then a graceful close, `--in-flight` at a time.
 * Server on core 1, client (this process) on core 0 when `taskset` works.
 *
 * Run: ./node_modules/.bin/node bench/handshake-cpu.ts [--workers=0] [--count=4000] [--warmup=1000]
 *        [--repeats=3] [--in-flight=64] [--profile=DIR] [--counts]
 *   --profile: --cpu-prof for the server child into DIR/server; for the client side run this
 *   script itself under `node --cpu-prof --cpu-prof-dir=DIR/client`.
 *   --counts: after the timed runs, what does not move with the machine's load, per handshake and
 *   per side (bench/per-message-counts.ts), each over a window of `--count` handshakes of its
 *   own: JS heap bytes allocated and promises created (sharded, main's: a shard's allocations
 *   are in its own isolate).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue, canPin, countArg, formatSpread, round, spread } from './common.ts';
import { heapBytesPerMessage, promisesPerMessage, type Window } from './per-message-counts.ts';
import type { WorkloadParams } from './load/common.ts';
import { p2pAdapter } from './load/system-p2p.ts';

const argv = process.argv.slice(2);
const workers = countArg(argv, 'workers', 0);
const IDENTITIES = 4096;

function params(): WorkloadParams {
  return {
    mode: 'handshake',
    connections: IDENTITIES,
    messageSize: 0,
    inFlight: countArg(argv, 'in-flight', 64),
    powDifficulty: 1,
    ingestMessages: 0,
    workers,
    connectConcurrency: 64,
    lifetimeSeconds: 600,
  };
}

function cpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

interface Mark {
  readonly cpuUs: number;
  readonly accepted: number;
}

/** `--counts`: what each side counts per handshake over a window of handshakes. */
const MEASURES = { heap: heapBytesPerMessage, promises: promisesPerMessage } satisfies Record<string, (window: Window) => Promise<number>>;
type Measure = keyof typeof MEASURES;

/** Client → server: start counting (answered by `counting`), end the window (answered by `counted`). */
type CountCommand = { readonly count: Measure } | 'end-window';

async function server(): Promise<void> {
  const running = await p2pAdapter(workers > 0 ? 'p2p-sharded' : 'p2p-inline').startServer(params(), 'handshake');
  let endWindow: (() => void) | undefined;
  process.on('message', (command: string | CountCommand) => {
    if (command === 'mark') process.send!({ cpuUs: cpuUs(), accepted: running.counters.accepted } satisfies Mark);
    if (command === 'stop') void running.close().then(() => process.exit(0));
    if (command === 'end-window') endWindow?.();
    if (typeof command === 'object') {
      const before = running.counters.accepted;
      // The window is the handshakes accepted until the client ends it.
      const window = (): Promise<number> => new Promise((resolve) => (endWindow = () => resolve(running.counters.accepted - before)));
      void MEASURES[command.count](window).then((counted) => process.send!({ counted }));
      process.send!({ counting: true });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send!({ port: running.port });
}

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message as T));
    child.once('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
}

async function client(): Promise<void> {
  const pin = canPin();
  if (pin) spawnSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' });
  const profileText = argValue(argv, 'profile');
  const nodeArgs = profileText ? ['--cpu-prof', `--cpu-prof-dir=${join(resolvePath(profileText), 'server')}`] : [];
  const script = fileURLToPath(import.meta.url);
  const command = [process.execPath, ...nodeArgs, script, '--role=server', ...argv];
  if (pin) command.unshift('taskset', '-c', '1');
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { port } = await nextMessage<{ port: number }>(child);

  const side = await p2pAdapter('p2p-inline').client(params());
  await side.prepare(IDENTITIES);
  const inFlight = params().inFlight;
  let next = 0;
  const run = async (count: number): Promise<void> => {
    let started = 0;
    const lane = async (): Promise<void> => {
      while (started < count) {
        started++;
        const conn = await side.connect(port, next++);
        void conn.close();
      }
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
  };
  const mark = async (): Promise<Mark> => {
    child.send('mark');
    return nextMessage<Mark>(child);
  };

  const count = countArg(argv, 'count', 4000);
  const repeats = countArg(argv, 'repeats', 3);
  await run(countArg(argv, 'warmup', 1000));
  const serverUs: number[] = [];
  const clientUs: number[] = [];
  const rates: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const before = await mark();
    const clientBefore = cpuUs();
    const t0 = performance.now();
    await run(count);
    const ms = performance.now() - t0;
    const clientAfter = cpuUs();
    const after = await mark();
    const accepted = after.accepted - before.accepted;
    serverUs.push((after.cpuUs - before.cpuUs) / accepted);
    clientUs.push((clientAfter - clientBefore) / count);
    rates.push(count / (ms / 1000));
    console.log(`  run ${r + 1}: server ${round(serverUs.at(-1)!)} µs/hs, client ${round(clientUs.at(-1)!)} µs/hs, ${Math.round(rates.at(-1)!)} hs/s (${accepted} accepted)`);
  }
  const counts: Record<string, number> = {};
  if (argv.includes('--counts')) {
    for (const measure of Object.keys(MEASURES) as Measure[]) {
      child.send({ count: measure } satisfies CountCommand);
      await nextMessage<{ counting: true }>(child);
      counts[`client_${measure}`] = await MEASURES[measure](async () => {
        await run(count);
        return count;
      });
      // The server's last handshakes end once it has read the client's Ack: a moment later.
      await new Promise((resolve) => setTimeout(resolve, 200));
      child.send('end-window' satisfies CountCommand);
      counts[`server_${measure}`] = (await nextMessage<{ counted: number }>(child)).counted;
    }
  }
  child.send('stop');
  await new Promise((resolve) => child.once('exit', resolve));

  const s = spread(serverUs);
  const c = spread(clientUs);
  const h = spread(rates);
  console.log(`\nhandshake CPU, ${count} handshakes × ${repeats}, ${inFlight} in flight, workers: ${workers}, ${pin ? 'server core 1, client core 0' : 'unpinned'} (median (min–max))\n`);
  console.log('| server CPU µs/hs | client CPU µs/hs | handshakes/s |');
  console.log('|-----------------:|-----------------:|-------------:|');
  console.log(`| ${formatSpread(s, 1)} | ${formatSpread(c, 1)} | ${formatSpread(h)} |`);
  const counted = counts.server_heap !== undefined;
  if (counted) {
    console.log(`\nper handshake, ${count} handshakes each${workers > 0 ? ' (server: main thread)' : ''}\n`);
    console.log('| | server | client |');
    console.log('|---|---:|---:|');
    console.log(`| JS heap bytes allocated | ${Math.round(counts.server_heap!)} | ${Math.round(counts.client_heap!)} |`);
    console.log(`| promises created | ${round(counts.server_promises!)} | ${round(counts.client_promises!)} |`);
  }
  console.log(
    JSON.stringify({
      suite: 'handshake-cpu',
      workers,
      count,
      repeats,
      in_flight: inFlight,
      pinned: pin,
      server_us_per_hs: round(s.median),
      client_us_per_hs: round(c.median),
      hsps: Math.round(h.median),
      ...(counted
        ? {
            server_heap_bytes_per_hs: Math.round(counts.server_heap!),
            client_heap_bytes_per_hs: Math.round(counts.client_heap!),
            server_promises_per_hs: round(counts.server_promises!),
            client_promises_per_hs: round(counts.client_promises!),
          }
        : {}),
    }),
  );
}

if (argValue(argv, 'role') === 'server') await server();
else await client();
