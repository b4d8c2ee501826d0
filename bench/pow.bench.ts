/**
 * Proof-of-work throughput (protocol.md §2): one thread hashing with checkProofOfWork, then
 * generateIdentity over all cores (architecture.md §5). The node default difficulty 26 needs ~2^26 hashes
 * on average, so these two numbers give the expected identity generation time.
 *
 * Run: ./node_modules/.bin/node bench/pow.bench.ts
 * Last line: {"pow_hashes_per_s_single":…,"pow_hashes_per_s_all":…}
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { generateIdentity } from '../src/main/generate-identity.ts';
import { checkProofOfWork, makePowTarget, searchProofOfWork } from '../src/shared/crypto/pow.ts';
import { incrementNonce } from '../src/shared/crypto/nonce.ts';
import { spread } from './common.ts';

const SINGLE_SAMPLES = 5;
const SINGLE_SAMPLE_MS = 200; // 5 × 200 ms ≈ 1 s
const ALL_MIN_SECONDS = 3;

/** Hashes/s of one sample: checkProofOfWork on successive stamps, as the search does. */
function singleSample(ms: number): number {
  const publicKey = randomBytes(32);
  const stamp = randomBytes(24);
  const target = makePowTarget(256); // never passes: every iteration is a full check
  let hashes = 0;
  let passed = 0;
  const started = performance.now();
  let elapsed = 0;
  do {
    for (let i = 0; i < 4096; i++) {
      if (checkProofOfWork(publicKey, stamp, target)) passed++;
      incrementNonce(stamp);
    }
    hashes += 4096;
    elapsed = performance.now() - started;
  } while (elapsed < ms);
  if (passed !== 0) throw new Error('impossible: a digest met the zero target');
  return hashes / (elapsed / 1000);
}

/** Hashes/s of the search loop itself (no per-call checks or copies), for comparison. */
function searchSample(): number {
  const attempts = 1 << 21;
  const started = performance.now();
  const { stamp } = searchProofOfWork(randomBytes(32), makePowTarget(256), { maxAttempts: attempts });
  if (stamp !== undefined) throw new Error('impossible: a digest met the zero target');
  return attempts / ((performance.now() - started) / 1000);
}

singleSample(100); // warm-up (JIT, sodium)
const singles = spread(Array.from({ length: SINGLE_SAMPLES }, () => singleSample(SINGLE_SAMPLE_MS)));
const single = singles.median;
const search = searchSample();

// Aim one generation at ~ALL_MIN_SECONDS; a lucky early find is topped up with more runs, so the
// rate always covers at least that much work (pool start-up included, as a user would see it).
const threads = availableParallelism();
const difficulty = Math.max(1, Math.round(Math.log2(single * threads * ALL_MIN_SECONDS)));
let allHashes = 0;
let allSeconds = 0;
let runs = 0;
while (allSeconds < ALL_MIN_SECONDS) {
  const result = await generateIdentity({ difficulty, threads });
  allHashes += result.attempts;
  allSeconds += result.seconds;
  runs++;
}
const all = allHashes / allSeconds;

const rows = [
  {
    case: 'checkProofOfWork, 1 thread',
    'hashes/s (median)': Math.round(single),
    'min–max': `${Math.round(singles.min)}–${Math.round(singles.max)}`,
    threads: 1,
    runs: SINGLE_SAMPLES,
    seconds: ((SINGLE_SAMPLES * SINGLE_SAMPLE_MS) / 1000).toFixed(2),
  },
  {
    case: 'searchProofOfWork loop, 1 thread',
    'hashes/s (median)': Math.round(search),
    'min–max': '(one run)',
    threads: 1,
    runs: 1,
    seconds: ((1 << 21) / search).toFixed(2),
  },
  {
    case: `generateIdentity, difficulty ${difficulty}`,
    'hashes/s (median)': Math.round(all),
    'min–max': '(aggregate)',
    threads,
    runs,
    seconds: allSeconds.toFixed(2),
  },
];
const slowest = Math.min(...rows.map((r) => r['hashes/s (median)']));
console.table(rows.map((r) => ({ ...r, 'relative to slowest': `${(r['hashes/s (median)'] / slowest).toFixed(2)}×` })));
console.log(`expected time for difficulty 26 on ${threads} threads: ${(2 ** 26 / all).toFixed(1)} s`);
console.log(JSON.stringify({ pow_hashes_per_s_single: Math.round(single), pow_hashes_per_s_all: Math.round(all) }));
