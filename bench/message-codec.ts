/**
 * Peer-message codec cost per message on one core (docs/messages.md, "Cost"): decode + encode of a
 * small request (`Get_current_head`) and of a `Current_head` carrying a full mempool (3,999
 * hashes), each direction alone, `encodeInto` a reused buffer, and the heap bytes one small
 * decode + encode allocates.
 *
 * Run: ./node_modules/.bin/node bench/message-codec.ts [--quick]
 *
 * Rates are operations per second of the process's CPU time (user + system, every thread, so GC
 * helpers count): each case runs in processes of its own, and the table gives the median of their
 * rounds with the min–max. CPU time, not wall time: on a shared machine wall time mostly measures
 * how often the scheduler runs us (the `CPU share` column says how much of the wall time the
 * process had). Allocations come from V8's GC profiler over a window (bytes that entered the young
 * generation), not from `heapUsed`, which a scavenge inside the window would make too low.
 * Last line: one JSON object. Targets: ≥ 2 M/s small, ≥ 20 k/s full mempool.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startYoungGenWindow } from './probes/young-gen-probe.ts';
import { HashList, MAX_MEMPOOL_HASHES, peerMessageCodec, type PeerMessage } from '../src/messages/index.ts';
import { argValue, grouped, round, spread } from './common.ts';

const QUICK = process.argv.includes('--quick');
/** CPU milliseconds per round, and rounds per process. */
const ROUND_MS = QUICK ? 50 : 100;
const ROUNDS = QUICK ? 4 : 10;
/** Processes per case. */
const REPEATS = QUICK ? 1 : 3;

const chainId = Uint8Array.of(0xac, 0xb1, 0x71, 0x02);
const small: PeerMessage = { kind: 'Get_current_head', chainId };
const hashes = new Uint8Array(32 * MAX_MEMPOOL_HASHES);
for (let i = 0; i < hashes.length; i++) hashes[i] = (i * 131 + 7) & 0xff;
const fullMempool: PeerMessage = {
  kind: 'Current_head',
  chainId,
  header: {
    level: 1_000_000,
    proto: 2,
    predecessor: new Uint8Array(32).fill(1),
    timestamp: 1_700_000_000n,
    validationPass: 4,
    operationsHash: new Uint8Array(32).fill(2),
    fitness: [Uint8Array.of(2), new Uint8Array(4).fill(3), new Uint8Array(0), new Uint8Array(4).fill(4), new Uint8Array(4)],
    context: new Uint8Array(32).fill(5),
    protocolData: new Uint8Array(100).fill(6),
  },
  mempool: { knownValid: new HashList(hashes), pending: new HashList() },
};
const smallBytes = peerMessageCodec.encode(small);
const fullBytes = peerMessageCodec.encode(fullMempool);
const target = Buffer.allocUnsafe(fullBytes.length);

let sink = 0;
const FULL = `Current_head ${MAX_MEMPOOL_HASHES} hashes`;
const cases: Array<[string, () => void]> = [
  ['Get_current_head decode+encode', () => void (sink += peerMessageCodec.encode(peerMessageCodec.decode(smallBytes)).length)],
  ['Get_current_head decode', () => void (sink += peerMessageCodec.decode(smallBytes).kind.length)],
  ['Get_current_head encode', () => void (sink += peerMessageCodec.encode(small).length)],
  ['Get_current_head encodeInto', () => void (sink += peerMessageCodec.encodeInto(small, target, 0))],
  [`${FULL} decode+encode`, () => void (sink += peerMessageCodec.encode(peerMessageCodec.decode(fullBytes)).length)],
  [`${FULL} decode`, () => void (sink += peerMessageCodec.decode(fullBytes).kind.length)],
  [`${FULL} encode`, () => void (sink += peerMessageCodec.encode(fullMempool).length)],
  [`${FULL} encodeInto`, () => void (sink += peerMessageCodec.encodeInto(fullMempool, target, 0))],
];

function cpuMicros(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

/** Runs `fn` `n` times; returns [CPU µs, wall µs]. */
function timed(fn: () => void, n: number): [number, number] {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < n; i++) fn();
  return [cpuMicros(cpu), (performance.now() - wall) * 1000];
}

/** What one process measures of one case. */
interface CaseReport {
  /** Operations per CPU second, one per round. */
  readonly rates: number[];
  readonly cpuMicros: number;
  readonly wallMicros: number;
}

/** Warms `fn` up, sizes a round to ~ROUND_MS of CPU time, and runs ROUNDS of them. */
function runCase(fn: () => void): CaseReport {
  let n = 16;
  while (timed(fn, n)[0] < (ROUND_MS * 1000) / 10) n *= 2;
  const perRound = Math.max(1, Math.round((n * 10 * (ROUND_MS * 1000)) / Math.max(1, timed(fn, n * 10)[0])));
  const rates: number[] = [];
  let cpuTotal = 0;
  let wallTotal = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const [cpu, wall] = timed(fn, perRound);
    rates.push((perRound * 1e6) / cpu);
    cpuTotal += cpu;
    wallTotal += wall;
  }
  return { rates, cpuMicros: cpuTotal, wallMicros: wallTotal };
}

const caseIndex = argValue(process.argv, 'case');
if (caseIndex !== undefined) {
  // A child: one case, its report as one JSON line.
  console.log(JSON.stringify(runCase(cases[Number(caseIndex)]![1])));
  process.exit(0);
}

// Each case runs in a process of its own: the garbage of one case (a full-mempool encode leaves a
// 128 KB ArrayBuffer, and external memory drives V8's full collections) would otherwise be
// collected, and billed, while another case runs. The processes go round-robin over the cases,
// so a change in the machine's load lands on every case alike.
const reports: CaseReport[][] = cases.map(() => []);
for (let repeat = 0; repeat < REPEATS; repeat++) {
  cases.forEach((_, i) => {
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), `--case=${i}`, ...process.argv.slice(2)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (child.status !== 0) throw new Error(`case ${cases[i]![0]} exited with ${child.status}`);
    reports[i]!.push(JSON.parse(child.stdout.trim().split('\n').at(-1)!) as CaseReport);
  });
}

const rows: Array<Record<string, string | number>> = [];
const rates: Record<string, number> = {};
cases.forEach(([name], i) => {
  const all = reports[i]!;
  const s = spread(all.flatMap((r) => r.rates));
  const cpu = all.reduce((sum, r) => sum + r.cpuMicros, 0);
  const wall = all.reduce((sum, r) => sum + r.wallMicros, 0);
  rates[name] = s.median;
  rows.push({
    case: name,
    'ops/s (CPU)': grouped(Math.round(s.median)),
    'min–max': `${grouped(Math.round(s.min))}–${grouped(Math.round(s.max))}`,
    'µs/op': round(1e6 / s.median, 3),
    'CPU share': `${Math.round((cpu / wall) * 100)} %`,
  });
});

/** Young-generation bytes per call of `fn`, over a window of `runs` calls after a warm-up. */
function youngBytesPer(fn: () => void, runs: number): number {
  for (let i = 0; i < runs; i++) fn();
  const stop = startYoungGenWindow();
  for (let i = 0; i < runs; i++) fn();
  return stop().allocated / runs;
}
const RUNS = 200_000;
const allocations = {
  decodeEncode: youngBytesPer(cases[0]![1], RUNS),
  decode: youngBytesPer(cases[1]![1], RUNS),
  encode: youngBytesPer(cases[2]![1], RUNS),
  encodeInto: youngBytesPer(cases[3]![1], RUNS),
};

console.table(rows);
const us = (name: string): number => 1e6 / rates[name]!;
for (const kind of ['Get_current_head', FULL]) {
  console.log(
    `${kind}: decode+encode ${round(us(`${kind} decode+encode`), 3)} µs, decode and encode apart ${round(us(`${kind} decode`) + us(`${kind} encode`), 3)} µs`,
  );
}
console.log(
  `young-generation bytes per Get_current_head: decode+encode ${round(allocations.decodeEncode)} B, decode ${round(allocations.decode)} B, ` +
    `encode ${round(allocations.encode)} B, encodeInto ${round(allocations.encodeInto)} B (the encoded body, ${smallBytes.length} B, comes from Node's Buffer pool)`,
);
console.log(`${cpus()[0]?.model ?? 'cpu'}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}; ${QUICK ? 'quick' : 'full'} run; sink ${sink % 10}`);
const small2 = rates['Get_current_head decode+encode']!;
const full2 = rates[`${FULL} decode+encode`]!;
console.log(
  JSON.stringify({
    bench: 'message-codec',
    clock: 'process CPU time',
    smallDecodeEncodePerSecond: Math.round(small2),
    fullMempoolDecodeEncodePerSecond: Math.round(full2),
    heapBytesPerSmallMessage: Math.round(allocations.decodeEncode),
    loadAverage: round(loadavg()[0]!, 1),
    smallTargetMet: small2 >= 2e6,
    fullMempoolTargetMet: full2 >= 2e4,
  }),
);
