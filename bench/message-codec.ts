/**
 * Peer-message codec cost per message on one core (docs/messages.md): decode + encode of a small
 * request (`Get_current_head`) and of a `Current_head` carrying a full mempool (3,999 hashes), each
 * direction alone too, and the heap bytes one small decode + encode allocates.
 *
 * Run: ./node_modules/.bin/node bench/message-codec.ts [--quick]
 * Last line: one JSON object (see `summary`). Targets: ≥ 2 M/s small, ≥ 20 k/s full mempool.
 */
import Benchmark from 'benchmark';
import { cpus } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { HashList, MAX_MEMPOOL_HASHES, peerMessageCodec, type PeerMessage } from '../src/messages/index.ts';
import { grouped, round } from './common.ts';

const QUICK = process.argv.includes('--quick');
const OPTIONS: Benchmark.Options = QUICK ? { maxTime: 0.25, minSamples: 3 } : { maxTime: 1, minSamples: 8 };

const small: PeerMessage = { kind: 'Get_current_head', chainId: Uint8Array.of(0xac, 0xb1, 0x71, 0x02) };
const hashes = new Uint8Array(32 * MAX_MEMPOOL_HASHES);
for (let i = 0; i < hashes.length; i++) hashes[i] = (i * 131 + 7) & 0xff;
const fullMempool: PeerMessage = {
  kind: 'Current_head',
  chainId: Uint8Array.of(0xac, 0xb1, 0x71, 0x02),
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

let sink = 0;
const cases: Array<[string, () => void]> = [
  ['Get_current_head decode+encode', () => void (sink += peerMessageCodec.encode(peerMessageCodec.decode(smallBytes)).length)],
  ['Get_current_head decode', () => void (sink += peerMessageCodec.decode(smallBytes).kind.length)],
  ['Get_current_head encode', () => void (sink += peerMessageCodec.encode(small).length)],
  [`Current_head ${MAX_MEMPOOL_HASHES} hashes decode+encode`, () => void (sink += peerMessageCodec.encode(peerMessageCodec.decode(fullBytes)).length)],
  [`Current_head ${MAX_MEMPOOL_HASHES} hashes decode`, () => void (sink += peerMessageCodec.decode(fullBytes).kind.length)],
  [`Current_head ${MAX_MEMPOOL_HASHES} hashes encode`, () => void (sink += peerMessageCodec.encode(fullMempool).length)],
];

const rows: Array<{ case: string; 'ops/s': string; '±%': number }> = [];
const rates: Record<string, number> = {};
const suite = new Benchmark.Suite('message-codec');
for (const [name, fn] of cases) suite.add(name, fn, OPTIONS);
suite.on('cycle', (event: Benchmark.Event) => {
  const target = event.target;
  if (target.error !== undefined) throw new Error(`${target.name} failed: ${String(target.error)}`);
  rates[target.name] = target.hz;
  rows.push({ case: target.name, 'ops/s': grouped(Math.round(target.hz)), '±%': round(target.stats.rme, 1) });
});
suite.run({ async: false });

/** Heap bytes per small decode + encode, over a run short enough to stay inside the young generation. */
function heapBytesPerSmallMessage(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const runs = 20_000;
  for (let i = 0; i < runs; i++) peerMessageCodec.encode(peerMessageCodec.decode(smallBytes)); // warm
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < runs; i++) sink += peerMessageCodec.encode(peerMessageCodec.decode(smallBytes)).length;
  return (process.memoryUsage().heapUsed - before) / runs;
}
const bytesPerSmall = heapBytesPerSmallMessage();

console.table(rows);
console.log(`heap allocated per Get_current_head decode+encode: ~${Math.round(bytesPerSmall)} B (a scavenge during the run would make this low)`);
console.log(`${cpus()[0]?.model ?? 'cpu'}; one core; ${QUICK ? 'quick' : 'full'} run; sink ${sink % 10}`);
const small2 = rates['Get_current_head decode+encode']!;
const full2 = rates[`Current_head ${MAX_MEMPOOL_HASHES} hashes decode+encode`]!;
console.log(
  JSON.stringify({
    bench: 'message-codec',
    smallDecodeEncodePerSecond: Math.round(small2),
    fullMempoolDecodeEncodePerSecond: Math.round(full2),
    heapBytesPerSmallMessage: Math.round(bytesPerSmall),
    smallTargetMet: small2 >= 2e6,
    fullMempoolTargetMet: full2 >= 2e4,
  }),
);
