/**
 * `npm run fuzz` plays exactly the sessions it is asked for: `--sessions=60 --parallel=8` used to
 * run 24 per socket target instead of 20 (each round was rounded up to a multiple of --parallel).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

test('npm run fuzz -- --sessions=9 --parallel=4 plays 3 sessions per socket target, not a multiple of 4', async () => {
  const script = new URL('../scripts/fuzz.ts', import.meta.url).pathname;
  const { stdout } = await run(process.execPath, [script, '--cases=40', '--sessions=9', '--parallel=4', '--seed=7'], { timeout: 60_000 });
  const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as { fuzz: { ok: boolean; rows: Array<{ target: string; cases: number }> } };
  assert.equal(summary.fuzz.ok, true);
  const socketRows = summary.fuzz.rows.filter((row) => row.target.startsWith('socket: '));
  assert.deepEqual(
    socketRows.map((row) => [row.target, row.cases]),
    [
      ['socket: authenticate', 3],
      ['socket: inline', 3],
      ['socket: sharded', 3],
    ],
  );
});
