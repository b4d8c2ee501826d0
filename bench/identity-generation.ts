/**
 * Wall time of `generateIdentity` (default threads) and of `generateIdentities`, per difficulty:
 * the median of a few runs each, with the hashes a search is expected to need (2^difficulty) and
 * whether a worker pool was started (piscina threads seen). Small difficulties show the cost of
 * starting a pool; large ones, the pool's speed-up.
 *
 * Run: ./node_modules/.bin/node bench/identity-generation.ts [difficulty …]   (default 8 16 20 24)
 * One JSON line per case: {"call":"generateIdentity","difficulty":8,"medianMs":…,"runs":…,"threads":…}
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { generateIdentities } from '../src/main/generate-identities.ts';
import { generateIdentity } from '../src/main/generate-identity.ts';
import { median } from './common.ts';

const difficulties = process.argv.slice(2).map(Number);
const RUNS: Record<number, number> = { 8: 20, 16: 10, 20: 5, 24: 3 };

async function timed(run: () => Promise<unknown>, runs: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

const threads = availableParallelism();
for (const difficulty of difficulties.length > 0 ? difficulties : [8, 16, 20, 24]) {
  const runs = RUNS[difficulty] ?? 3;
  const single = await timed(() => generateIdentity({ difficulty }), runs);
  console.log(JSON.stringify({ call: 'generateIdentity', difficulty, medianMs: Math.round(single * 10) / 10, runs, threads }));
  if (difficulty <= 16) {
    const count = difficulty <= 8 ? 200 : 10;
    const many = await timed(() => generateIdentities({ count, difficulty }), Math.max(1, Math.floor(runs / 5)));
    console.log(JSON.stringify({ call: `generateIdentities count ${count}`, difficulty, medianMs: Math.round(many * 10) / 10, runs: Math.max(1, Math.floor(runs / 5)), threads }));
  }
}
