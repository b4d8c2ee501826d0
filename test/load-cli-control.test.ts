/**
 * `p2p-socket load` end to end, the controls around a run: identities against a node-like
 * target, Ctrl-C, usage errors. All on 127.0.0.1, port 0; every child is killed after its time
 * limit.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommandLine } from '../src/cli/args.ts';
import { UsageError } from '../src/cli/flag-parser.ts';
import { readyPort, startCli, type CliRun } from './helpers/cli-process.ts';

const LOAD_TIMEOUT_MS = 40_000;
let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2p-socket-load-control-'));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function load(...args: string[]): Promise<CliRun> {
  return startCli(['load', ...args], LOAD_TIMEOUT_MS).done;
}

test('more connections than identities: refused unless the target allows duplicate peers', async () => {
  const ids = join(dir, 'ids.json');
  const made = await startCli(['identity', 'generate', '--count', '3', '--difficulty', '4', '--out', ids, '--json'], 20_000).done;
  assert.equal(made.code, 0, made.stderr);
  assert.equal(made.summary['count'], 3);
  const readyFile = join(dir, 'dup-ready');
  const target = startCli(['listen', '--workers', '0', '--echo', '--ready-file', readyFile, '--json'], LOAD_TIMEOUT_MS);
  const port = await readyPort(readyFile);
  const refused = await load(`127.0.0.1:${port}`, '--identities', ids, '--connections', '5', '--json');
  assert.equal(refused.code, 1);
  assert.equal(refused.summary['error']?.['code'], 'TOO_FEW_IDENTITIES');
  assert.match(refused.summary['error']?.['message'], /--allow-duplicate-peers/);
  // Within the identities it holds, the run goes ahead against a node-like target.
  const run = await load(`127.0.0.1:${port}`, '--identities', ids, '--difficulty', '4', '--connections', '3', '--duration', '1', '--json');
  target.child.kill('SIGTERM');
  await target.done;
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.summary['connections_reached'], 3);
});

test('Ctrl-C (SIGINT to the whole process group) ends the run early with a full summary', async () => {
  // Before the generator processes ignored group signals, they died with it and the summary
  // had no connection and no message (ok false).
  const started = startCli(['load', '--connections', '10', '--duration', '30', '--json'], LOAD_TIMEOUT_MS, { detached: true });
  // Once the window is open with every connection up (the plain per-second lines on stderr).
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no measured second within 20 s: ${seen}`)), 20_000);
    started.child.stderr!.on('data', (text: string) => {
      seen += text;
      if (/measure conns=10\/10 .*in=[1-9]/.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  process.kill(-started.child.pid!, 'SIGINT');
  const run = await started.done;
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /stopping early/);
  const s = run.summary;
  assert.equal(s['ok'], true);
  assert.equal(s['connections_reached'], 10);
  assert.ok(s['messages_received'] > 0);
  assert.equal(s['messages_sent'], s['messages_received'] + s['messages_in_flight']);
});

test('bad load flags are usage errors, refused before anything starts (exit 2)', async () => {
  const bad = [['--mode', 'flood'], ['--threshold', 'p99<<5'], ['--size', '10', '--sizes', '1,2'], ['127.0.0.1:1', '--target-workers', '2'], ['--rate', '0'], ['--connections', '0'], ['a', 'b']];
  for (const args of bad) assert.throws(() => parseCommandLine(['load', ...args]), UsageError, args.join(' '));
  assert.throws(() => parseCommandLine(['load', 'merge']), UsageError);
  // And through the command: status 2, the reason and the usage on stderr, a JSON summary.
  const run = await load('--threshold', 'latency<5ms', '--json');
  assert.equal(run.code, 2);
  assert.match(run.stderr, /unknown metric "latency"/);
  assert.match(run.stderr, /--threshold EXPR/);
  assert.equal(run.summary['command'], 'load');
  assert.equal(run.summary['error']?.['code'], 'USAGE_ERROR');
});
