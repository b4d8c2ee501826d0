/**
 * `npm run soak`: many connections between two pools on loopback for a given time, with echo
 * traffic; RSS and heap of both sides sampled each second, checked for growth after warm-up;
 * sockets counted after close; every message accounted for.
 *
 *   npm run soak -- [--connections=10000] [--seconds=60] [--warmup=15] [--rate=5000]
 *                   [--size=1024] [--server-workers=2] [--client-workers=0] [--max-growth=4]
 *                   [--tiny-flood=0] [--budget-attackers=0]
 *
 * The server pool runs in a child process (bench/soak/server.ts) so each side's memory and
 * descriptor table are its own (10,000 sockets per process stay under a 20,000 `ulimit -n`).
 * --rate is messages per second over all connections (each echoed back); --max-growth is the
 * RSS growth after warm-up (MiB, see floorGrowth) above which a side is reported as growing.
 * --tiny-flood=N adds N hostile peers that flood the server with chunks packed with empty
 * messages and never read (bench/soak/tiny-flood.ts): the server must hold no more for them than
 * their incoming bounds, so its RSS stays flat as under honest traffic.
 * --budget-attackers=N runs N connections attacking the server's pending-message budget beside the
 * echo traffic, with a legit 1 MiB echo each second (bench/soak/budget-attack.ts); the run then
 * also fails when a legit echo fails, the budget's peak passes its limit by more than 10 %, or
 * budget is still held once the attackers have gone; either side's RSS may then vary by the
 * budget on top of --max-growth (the attackers run in this process).
 * Prints a table and a JSON line; exits 1 when a message is lost, a descriptor leaks or a side grows.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from '../src/main/pool.ts';
import type { Connection } from '../src/main/connection.ts';
import { emptyMetadataConfig } from '../src/shared/wire/metadata.ts';
import { countArg, numberArg } from './common.ts';
import { fdKinds } from './soak/descriptors.ts';
import { generateIdentityFast } from './soak/identity.ts';
import { startTinyFloods } from './soak/tiny-flood.ts';
import { startBudgetAttack, type BudgetAttackReport } from './soak/budget-attack.ts';

const argv = process.argv.slice(2);
const CONNECTIONS = countArg(argv, 'connections', 10_000);
const SECONDS = numberArg(argv, 'seconds', 60);
const WARMUP = numberArg(argv, 'warmup', 15);
const RATE = numberArg(argv, 'rate', 5000);
const SIZE = countArg(argv, 'size', 1024);
const SERVER_WORKERS = countArg(argv, 'server-workers', 2);
const CLIENT_WORKERS = countArg(argv, 'client-workers', 0);
const MAX_GROWTH = numberArg(argv, 'max-growth', 16);
const TINY_FLOOD = countArg(argv, 'tiny-flood', 0);
const BUDGET_ATTACKERS = countArg(argv, 'budget-attackers', 0);
/** The server's `maxPendingMessageBytes` (the default). */
const PENDING_BUDGET = 64 * 1024 * 1024;
const MiB = 1024 * 1024;

interface Sample {
  readonly t: number;
  readonly connections: number;
  readonly sent: number;
  readonly received: number;
  readonly serverRss: number;
  readonly serverHeap: number;
  readonly clientRss: number;
  readonly clientHeap: number;
}

/** Open sockets of this process (see soak/descriptors.ts). */
const fds = (): number => fdKinds()['socket'] ?? 0;
const child = fork(new URL('./soak/server.ts', import.meta.url), [String(SERVER_WORKERS), String(CONNECTIONS + TINY_FLOOD)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const replies: unknown[] = [];
const waiters: Array<(reply: unknown) => void> = [];
child.on('message', (message) => {
  const waiter = waiters.shift();
  if (waiter) waiter(message);
  else replies.push(message);
});
function ask<T>(request?: string): Promise<T> {
  if (request) child.send(request);
  const ready = replies.shift();
  return ready !== undefined ? Promise.resolve(ready as T) : new Promise<T>((resolve) => waiters.push(resolve as (reply: unknown) => void));
}

const { port, fds: serverFdsBefore, kinds: serverFdKindsBefore } = await ask<{ port: number; fds: number; kinds: Record<string, number> }>();
const clientFdsBefore = fds();
const client = new Pool<Uint8Array, undefined>({
  identity: generateIdentityFast(),
  chainName: 'SOAK',
  metadata: emptyMetadataConfig,
  proofOfWorkDifficulty: 0,
  workers: CLIENT_WORKERS,
  maxConnections: CONNECTIONS + 100,
  connectTimeout: 60_000,
  allowDuplicatePeers: true,
});

// ---- dial
const dialStarted = Date.now();
const conns: Connection<Uint8Array, undefined>[] = [];
for (let wave = 0; wave < CONNECTIONS; wave += 500) {
  conns.push(...(await Promise.all(Array.from({ length: Math.min(500, CONNECTIONS - wave) }, () => client.connect({ host: '127.0.0.1', port })))));
}
const dialSeconds = (Date.now() - dialStarted) / 1000;
console.log(`${CONNECTIONS} connections in ${dialSeconds.toFixed(1)} s`);
const flood = await startTinyFloods(TINY_FLOOD, port, 'SOAK');
if (TINY_FLOOD > 0) console.log(`${TINY_FLOOD} peers flooding empty messages`);

// ---- traffic: message = u32 connection ‖ u32 sequence ‖ padding; echoes must come back in order
let sent = 0;
let received = 0;
let misordered = 0;
const nextSent = new Uint32Array(CONNECTIONS);
const nextReceived = new Uint32Array(CONNECTIONS);
let readErrors = 0;
conns.forEach((conn, index) => {
  void (async () => {
    try {
      for (;;) {
        const { message } = await conn.read();
        const view = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
        if (view.readUInt32BE(0) !== index || view.readUInt32BE(4) !== nextReceived[index]) misordered++;
        nextReceived[index]!++;
        received++;
      }
    } catch (error) {
      if ((error as { code?: string }).code !== 'CONNECTION_CLOSED') readErrors++;
    }
  })();
});

const attack = BUDGET_ATTACKERS > 0 ? startBudgetAttack(port, BUDGET_ATTACKERS) : undefined;
let pendingPeak = 0;
const samples: Sample[] = [];
const started = Date.now();
let cursor = 0;
let sending = true;
const sender = (async () => {
  const perTick = Math.max(1, Math.round(RATE / 20));
  while (sending) {
    const tickStarted = Date.now();
    for (let i = 0; i < perTick; i++) {
      const index = cursor++ % CONNECTIONS;
      const message = Buffer.alloc(8 + ((sent * 7919) % Math.max(1, SIZE - 8)));
      message.writeUInt32BE(index, 0);
      message.writeUInt32BE(nextSent[index]!, 4);
      // writeNow: a full queue would be a stall; count it as not sent and move on.
      if (conns[index]!.writeNow(message)) {
        nextSent[index]!++;
        sent++;
      }
    }
    await sleep(Math.max(0, 50 - (Date.now() - tickStarted)));
  }
})();

const header = '| t (s) | conns | sent | echoed | server RSS MiB | server heap MiB | client RSS MiB | client heap MiB |';
console.log(header);
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
while (Date.now() - started < SECONDS * 1000) {
  await sleep(1000 - ((Date.now() - started) % 1000));
  const server = await ask<{ rss: number; heapUsed: number; connections: number; pending: number }>('sample');
  pendingPeak = Math.max(pendingPeak, server.pending);
  const memory = process.memoryUsage();
  const sample: Sample = {
    t: Math.round((Date.now() - started) / 1000),
    connections: server.connections,
    sent,
    received,
    serverRss: server.rss,
    serverHeap: server.heapUsed,
    clientRss: memory.rss,
    clientHeap: memory.heapUsed,
  };
  samples.push(sample);
  if (sample.t % 5 === 0) {
    const mib = (bytes: number): string => (bytes / MiB).toFixed(0);
    console.log(`| ${sample.t} | ${sample.connections} | ${sample.sent} | ${sample.received} | ${mib(sample.serverRss)} | ${mib(sample.serverHeap)} | ${mib(sample.clientRss)} | ${mib(sample.clientHeap)} |`);
  }
}
sending = false;
await sender;
const floodSent = flood.sent();
flood.stop();
const attackReport: BudgetAttackReport | undefined = await attack?.stop();
// Once the attackers have gone, so has their charge (their connections close or time out).
let pendingAfter = 0;
if (attack) {
  const until = Date.now() + 10_000;
  do {
    pendingAfter = (await ask<{ pending: number }>('sample')).pending;
    if (pendingAfter === 0) break;
    await sleep(200);
  } while (Date.now() < until);
}
const attackOk = !attackReport || (attackReport.legitFailed === 0 && attackReport.legitServed > 0 && pendingPeak <= PENDING_BUDGET * 1.1 && pendingAfter === 0);

// ---- every message accounted for
const drainDeadline = Date.now() + 60_000;
while (received < sent && Date.now() < drainDeadline) await sleep(50);
const lost = sent - received;

// ---- growth after warm-up: least-squares slope of RSS, MiB per minute
function slope(values: readonly (readonly [number, number])[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const mx = values.reduce((a, [x]) => a + x, 0) / n;
  const my = values.reduce((a, [, y]) => a + y, 0) / n;
  const num = values.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const den = values.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 60 / MiB;
}
const steady = samples.filter((s) => s.t > WARMUP);
const serverGrowth = slope(steady.map((s) => [s.t, s.serverRss]));
const clientGrowth = slope(steady.map((s) => [s.t, s.clientRss]));
const serverHeapGrowth = slope(steady.map((s) => [s.t, s.serverHeap]));
const clientHeapGrowth = slope(steady.map((s) => [s.t, s.clientHeap]));
/**
 * A slope follows the collector's sawtooth and one-off steps (a 120 s run at 10,000 connections
 * stepped the client's RSS 302 → 393 MiB after 30 s and then stayed flat, and the server's fell
 * 656 → 501 MiB); a leak keeps rising. Growth: the lowest sample of the last quarter of the steady
 * phase minus the highest of its second quarter, MiB: above zero only if even the floor at the
 * end is over the peak in the middle.
 */
function floorGrowth(values: readonly number[]): number {
  const quarter = Math.max(1, Math.floor(values.length / 4));
  return (Math.min(...values.slice(-quarter)) - Math.max(...values.slice(quarter, 2 * quarter))) / MiB;
}
const serverFloor = floorGrowth(steady.map((s) => s.serverRss));
const clientFloor = floorGrowth(steady.map((s) => s.clientRss));

// ---- descriptors after close
await client.close();
const closeDeadline = Date.now() + 30_000;
let serverAfter = await ask<{ connections: number; fds: number; kinds: Record<string, number> }>('drained');
while ((serverAfter.connections > 0 || serverAfter.fds > serverFdsBefore) && Date.now() < closeDeadline) {
  await sleep(200);
  serverAfter = await ask<{ connections: number; fds: number; kinds: Record<string, number> }>('drained');
}
const serverLeaked = Math.max(0, serverAfter.fds - serverFdsBefore);
await sleep(200);
const clientLeaked = Math.max(0, fds() - clientFdsBefore);
const closed = await ask<{ closed: boolean; fds: number }>('close');
await once(child, 'exit');

// Under the budget attack the server's unfinished messages come and go by up to the whole budget,
// and the attackers' queued writes live in this process beside the echo clients.
const maxGrowth = MAX_GROWTH + (attack ? PENDING_BUDGET / MiB : 0);
const growing = serverFloor > maxGrowth || clientFloor > maxGrowth;
const ok = lost === 0 && misordered === 0 && readErrors === 0 && serverLeaked === 0 && clientLeaked === 0 && !growing && attackOk;
console.log('');
console.log('| connections | seconds | messages sent | echoed | lost | misordered | RSS floor growth MiB (server/client) | RSS slope MiB/min (server/client) | heap slope MiB/min (server/client) | sockets leaked (server/client) |');
console.log('|---:|---:|---:|---:|---:|---:|---|---|---|---|');
const pair = (a: number, b: number): string => `${a.toFixed(2)} / ${b.toFixed(2)}`;
console.log(`| ${CONNECTIONS} | ${SECONDS} | ${sent} | ${received} | ${lost} | ${misordered} | ${pair(serverFloor, clientFloor)} | ${pair(serverGrowth, clientGrowth)} | ${pair(serverHeapGrowth, clientHeapGrowth)} | ${serverLeaked}/${clientLeaked} |`);
if (attackReport) {
  console.log('');
  console.log('| budget attackers | attack rounds | ended by the server | legit 1 MiB echoes served / sent | slowest (ms) | budget peak MiB (limit 64) | budget held after |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  console.log(`| ${attackReport.attackers} | ${attackReport.rounds} | ${attackReport.attackersEnded} | ${attackReport.legitServed} / ${attackReport.legitSent} | ${attackReport.legitWorstMs} | ${(pendingPeak / MiB).toFixed(1)} | ${pendingAfter} |`);
}
console.log(
  JSON.stringify({
    soak: {
      ok,
      connections: CONNECTIONS,
      seconds: SECONDS,
      warmup: WARMUP,
      serverWorkers: SERVER_WORKERS,
      clientWorkers: CLIENT_WORKERS,
      dialSeconds,
      sent,
      received,
      lost,
      misordered,
      readErrors,
      rssFloorGrowthMiB: { server: serverFloor, client: clientFloor },
      rssSlopeMiBPerMin: { server: serverGrowth, client: clientGrowth },
      heapSlopeMiBPerMin: { server: serverHeapGrowth, client: clientHeapGrowth },
      peakRssMiB: { server: Math.max(...samples.map((s) => s.serverRss)) / MiB, client: Math.max(...samples.map((s) => s.clientRss)) / MiB },
      fdsLeaked: { server: serverLeaked, client: clientLeaked },
      tinyFlood: { peers: TINY_FLOOD, messagesSent: floodSent },
      serverFdKinds: { before: serverFdKindsBefore, afterConnectionsClosed: serverAfter.kinds },
      serverFdsAfterPoolClose: closed.fds,
      budgetAttack: attackReport && { ...attackReport, pendingPeakMiB: pendingPeak / MiB, pendingAfter },
    },
  }),
);
process.exitCode = ok ? 0 : 1;
