/**
 * Smoke test of `npm run bench:scale`: a tiny ingest run (20 connections, three placements) ends
 * with one JSON line that carries costs, a prediction per placement and the projection. Nothing
 * about speed is asserted (bench/ measures performance, tests do not).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../bench/scale.ts', import.meta.url));

interface ScaleJson {
  suite: string;
  costs_us_per_msg: Record<string, { main: number; shard: number; helpers: number }>;
  validation: Array<{ workload: string; shards: number; measured_msgps: number; predicted_msgps: number; error_pct: number }>;
  projections: Record<string, Record<string, { main_plus_shards: number; shard_per_core: number }>>;
  failures: string[];
}

test('bench:scale --quick runs end to end and its last line is the JSON summary', { timeout: 120_000 }, () => {
  const args = [SCRIPT, '--quick', '--only=ingest', '--connections=20', '--seconds=0.5', '--warmup=0.2', '--ingest-messages=2000'];
  const run = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 110_000 });
  assert.equal(run.status, 0, `exit ${run.status}: ${run.stderr}`);
  const lines = run.stdout.trim().split('\n');
  const json = JSON.parse(lines[lines.length - 1]!) as ScaleJson;
  assert.equal(json.suite, 'scale');
  assert.deepEqual(json.failures, []);
  const costs = json.costs_us_per_msg.ingest;
  assert.ok(costs && costs.main > 0 && costs.shard > 0, `costs ${JSON.stringify(costs)}`);
  assert.ok(json.validation.length >= 2, 'a prediction for each placement');
  assert.ok(json.validation.some((v) => v.shards === 2), 'two shards are checked');
  for (const v of json.validation) {
    assert.ok(v.measured_msgps > 0 && v.predicted_msgps > 0, JSON.stringify(v));
    assert.ok(Number.isFinite(v.error_pct));
  }
  for (const cores of ['4', '8', '16']) assert.ok(json.projections.ingest?.[cores]?.main_plus_shards, `projection for ${cores} cores`);
  assert.match(run.stdout, /\| workload \| placement/);
});
