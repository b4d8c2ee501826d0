/**
 * Latency histograms merged across processes (src/cli/load/latency-histogram.ts): each of
 * several processes records its own latencies and sends its histogram encoded; the merge must
 * hold exactly what one histogram of every value holds (counts bucket by bucket, hence every
 * percentile and the max), not an average of percentiles.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { decodeHistogram, encodeHistogram, mergeEncoded, newLatencyHistogram, percentilesMs, recordMs } from '../src/cli/load/latency-histogram.ts';

const run = promisify(execFile);
const MODULE = fileURLToPath(new URL('../src/cli/load/latency-histogram.ts', import.meta.url));

/** Deterministic latencies (ms) for process `p`: a different spread in each. */
function latencies(p: number): number[] {
  const out: number[] = [];
  let x = 12345 + p * 777;
  for (let i = 0; i < 5000; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out.push(((x % 100_000) / 1000) * (p + 1) ** 2 + 0.05);
  }
  return out;
}

test('histograms recorded in 3 processes, encoded, merged: equal to one histogram of all values', async () => {
  const encoded = await Promise.all(
    [0, 1, 2].map(async (p) => {
      const script = `
        import { newLatencyHistogram, recordMs, encodeHistogram } from ${JSON.stringify(MODULE)};
        const h = newLatencyHistogram();
        for (const ms of ${JSON.stringify(latencies(p))}) recordMs(h, ms);
        process.stdout.write(encodeHistogram(h));`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 });
      return stdout;
    }),
  );
  const merged = mergeEncoded(encoded);
  const all = newLatencyHistogram();
  for (const p of [0, 1, 2]) for (const ms of latencies(p)) recordMs(all, ms);
  assert.equal(merged.totalCount, 15_000);
  assert.deepEqual(percentilesMs(merged), percentilesMs(all));
  for (const percentile of [1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100]) {
    assert.equal(merged.getValueAtPercentile(percentile), all.getValueAtPercentile(percentile), `p${percentile}`);
  }
  // Merging is not averaging: the merged p99 is far from the mean of the three p99s.
  const mean = encoded.map((e) => percentilesMs(decodeHistogram(e)).p99).reduce((a, b) => a + b, 0) / 3;
  assert.ok(Math.abs(percentilesMs(merged).p99 - mean) > 10, `merged p99 ${percentilesMs(merged).p99}, mean of p99s ${mean}`);
});

test('encode → decode keeps every count; an empty histogram merges to zeros', () => {
  const h = newLatencyHistogram();
  for (const ms of latencies(4)) recordMs(h, ms);
  const back = decodeHistogram(encodeHistogram(h));
  assert.equal(back.totalCount, h.totalCount);
  assert.deepEqual(percentilesMs(back), percentilesMs(h));
  assert.deepEqual(percentilesMs(mergeEncoded([encodeHistogram(newLatencyHistogram())])), { p50: 0, p90: 0, p99: 0, p999: 0, max: 0 });
});
