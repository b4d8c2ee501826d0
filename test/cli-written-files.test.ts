/**
 * Files the CLI writes where it is told (`listen --ready-file`, `crawl --report`) never follow a
 * symlink another local user planted: not at a guessable temporary name beside the target, not
 * at the target itself. Real processes; the crawl dials a port freed on 127.0.0.1.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { lstat, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readyPort, startCli } from './helpers/cli-process.ts';

const CHILD_TIMEOUT_MS = 20_000;
const VICTIM_TEXT = 'a file the listener must not overwrite\n';

let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2p-socket-cli-files-'));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('listen --ready-file: a symlink planted at <file>.<pid>.tmp is not followed', async () => {
  const victim = join(dir, 'victim-ready');
  await writeFile(victim, VICTIM_TEXT);
  const readyFile = join(dir, 'ready');
  const listener = startCli(['listen', '--connections', '1', '--ready-file', readyFile, '--json'], CHILD_TIMEOUT_MS);
  // The process id is known as soon as it is spawned, long before it listens.
  await symlink(victim, `${readyFile}.${listener.child.pid}.tmp`);
  const port = await readyPort(readyFile);
  assert.ok(port > 0);
  assert.equal(await readFile(victim, 'utf8'), VICTIM_TEXT);
  assert.ok((await lstat(readyFile)).isFile(), 'the ready file is a file of its own, not a link');
  listener.child.kill('SIGTERM');
  await listener.done;
});

test('crawl --report: a symlink planted at the report path is replaced, not followed', async () => {
  const victim = join(dir, 'victim-report');
  await writeFile(victim, VICTIM_TEXT);
  const report = join(dir, 'report.html');
  await symlink(victim, report);
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const freed = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  const run = await startCli(['crawl', `127.0.0.1:${freed}`, '--timeout', '2000', '--report', report, '--json'], CHILD_TIMEOUT_MS).done;
  assert.equal(run.code, 1, run.stderr);
  assert.equal(await readFile(victim, 'utf8'), VICTIM_TEXT);
  assert.ok((await lstat(report)).isFile(), 'the report is a file of its own, not a link');
  assert.match(await readFile(report, 'utf8'), /<html/);
});
