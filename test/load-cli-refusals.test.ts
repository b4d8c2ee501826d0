/**
 * `p2p-socket load` tells a refused run from a good one: fewer connections than asked fail the
 * run unless `--min-connections` allows it, the handshake errors carry the Nack motive and the
 * system error, and a `--report` path that cannot be written is refused before the run, or, if
 * it fails at the end anyway, does not take the summary with it. Targets are `listen --workers`
 * pools, inline (0) and sharded (2), on 127.0.0.1, port 0; every child is killed after its limit.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readyPort, startCli, type CliRun } from './helpers/cli-process.ts';

const LOAD_TIMEOUT_MS = 40_000;
let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2p-socket-load-refusals-'));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function load(...args: string[]): Promise<CliRun> {
  return startCli(['load', ...args], LOAD_TIMEOUT_MS).done;
}

for (const workers of [0, 2]) {
  test(`load --connections 4 against listen --workers ${workers} --max-connections 2: not ok (exit 1) with the motive, unless --min-connections 2; the listener stays ok`, async () => {
    const readyFile = join(dir, `max-${workers}`);
    const target = startCli(['listen', '--workers', String(workers), '--max-connections', '2', '--allow-duplicate-peers', '--echo', '--ready-file', readyFile, '--json'], LOAD_TIMEOUT_MS);
    const port = await readyPort(readyFile);
    const short = await load(`127.0.0.1:${port}`, '--connections', '4', '--duration', '0.5', '--processes', '1', '--json');
    assert.equal(short.code, 1, short.stderr);
    const s = short.summary;
    assert.equal(s['ok'], false);
    assert.equal(s['connections_reached'], 2);
    assert.deepEqual(s['handshake_errors'], { 'REJECTED_BY_NACK (Too_many_connections)': 2 });
    assert.deepEqual(s['thresholds'], [{ expr: 'connections>=4', value: 2, ok: false }]);

    const text = await load(`127.0.0.1:${port}`, '--connections', '4', '--duration', '0.5', '--processes', '1');
    assert.equal(text.code, 1, text.stderr);
    assert.match(text.stdout, /: 2\/4 connections/);
    assert.match(text.stdout, /^only 2 of 4 connections reached \(--min-connections 4\)/m);
    assert.match(text.stdout, /^Too_many_connections: the target is full \(listen --max-connections/m);
    assert.match(text.stdout, /^FAILED$/m);

    const allowed = await load(`127.0.0.1:${port}`, '--connections', '4', '--min-connections', '2', '--duration', '0.5', '--processes', '1', '--json');
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(allowed.summary['ok'], true);
    assert.deepEqual(allowed.summary['thresholds'], [{ expr: 'connections>=2', value: 2, ok: true }]);

    target.child.kill('SIGTERM');
    const listened = await target.done;
    assert.equal(listened.summary['ok'], true, JSON.stringify(listened.summary));
    assert.equal(listened.summary['refused']?.['TOO_MANY_CONNECTIONS'], 6);
  });
}

test('load against a closed port: the handshake errors name ECONNREFUSED, the note says nothing listens', async () => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  const run = await load(`127.0.0.1:${port}`, '--connections', '2', '--duration', '0.5', '--processes', '1');
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stdout, /handshake errors: CONNECTION_CLOSED \(ECONNREFUSED\) ×12;/);
  assert.match(run.stdout, /^ECONNREFUSED: nothing listens at the target address$/m);
});

test('load --report in a missing directory: a usage error (exit 2) before anything runs', async () => {
  const missing = join(dir, 'missing', 'x.html');
  const run = await startCli(['load', '--connections', '2', '--duration', '30', '--report', missing, '--json'], 15_000).done;
  assert.equal(run.code, 2, run.stderr);
  assert.equal(run.summary['error']?.['code'], 'USAGE_ERROR');
  assert.match(run.summary['error']?.['message'], /--report .*x\.html: directory .*missing does not exist/);
  assert.equal(run.summary['connections_reached'], undefined);
});

test('load --report whose directory disappears during the run: the summary is still printed, with the error, exit 1', async () => {
  const reports = join(dir, 'reports');
  await mkdir(reports);
  const started = startCli(['load', '--connections', '2', '--duration', '2', '--processes', '1', '--report', join(reports, 'x.html'), '--json'], LOAD_TIMEOUT_MS);
  let stderr = '';
  started.child.stderr!.on('data', (text: string) => (stderr += text));
  // The live view's first line means the run is under way: the path was checked already.
  for (let i = 0; i < 300 && !/^t=\d+s /m.test(stderr); i++) await sleep(50);
  assert.match(stderr, /^t=\d+s /m);
  await rm(reports, { recursive: true });
  const run = await started.done;
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.summary['ok'], false);
  assert.equal(run.summary['error']?.['code'], 'ENOENT');
  assert.equal(run.summary['connections_reached'], 2);
  assert.ok(run.summary['messages_received'] > 0);
});
