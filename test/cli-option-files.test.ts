/**
 * Files named on the command line are read bounded and, when they cannot be read, end the
 * command as bad usage: exit status 2, `USAGE_ERROR` naming the flag and the file, for every
 * command that reads one. Real processes; no command here gets as far as a socket.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCli } from './helpers/cli-process.ts';

const CHILD_TIMEOUT_MS = 20_000;

let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2p-socket-cli-option-files-'));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function usageFailure(args: readonly string[], message: RegExp): Promise<void> {
  const run = await startCli([...args, '--json'], CHILD_TIMEOUT_MS).done;
  assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}${run.stdout}`);
  assert.equal(run.summary['ok'], false);
  assert.equal(run.summary['error']['code'], 'USAGE_ERROR');
  assert.match(run.summary['error']['message'], message);
}

test('--identity /dev/zero: a usage error naming the 64 KiB limit, in connect, listen, crawl and identity show', async () => {
  const limit = /--identity \/dev\/zero: larger than 64 KiB/;
  await usageFailure(['connect', '127.0.0.1:1', '--identity', '/dev/zero'], limit);
  await usageFailure(['listen', '--identity', '/dev/zero'], limit);
  await usageFailure(['listen', '--workers', '0', '--identity', '/dev/zero'], limit);
  await usageFailure(['crawl', '127.0.0.1:1', '--identity', '/dev/zero'], limit);
  await usageFailure(['identity', 'show', '/dev/zero'], /FILE \/dev\/zero: larger than 64 KiB/);
});

test('a file that cannot be read is a usage error (exit 2) for every file-reading option', async () => {
  const missing = join(dir, 'missing.json');
  const cannot = /cannot be read \(ENOENT: no such file or directory\)/;
  await usageFailure(['connect', '127.0.0.1:1', '--identity', missing], cannot);
  await usageFailure(['identity', 'show', missing], cannot);
  await usageFailure(['load', '--connections', '1', '--duration', '1', '--size-dist', missing], new RegExp(`--size-dist ${missing}: ${cannot.source}`));
  await usageFailure(['load', '--connections', '1', '--duration', '1', '--size-dist', dir], /--size-dist .*: cannot be read \(EISDIR/);
  await usageFailure(['load', '--connections', '1', '--duration', '1', '--identities', missing], new RegExp(`--identities ${missing}: ${cannot.source}`));
  await usageFailure(['load', 'merge', missing], new RegExp(`FILE ${missing}: ${cannot.source}`));
});

test('--size-dist: malformed content is a usage error (exit 2), as docs/cli.md says', async () => {
  const notJson = join(dir, 'sizes.txt');
  await writeFile(notJson, 'not json');
  await usageFailure(['load', '--connections', '1', '--duration', '1', '--size-dist', notJson], /--size-dist .*: not JSON/);
  await usageFailure(['load', '--connections', '1', '--duration', '1', '--size-dist', '/dev/zero'], /--size-dist \/dev\/zero: larger than 64 KiB/);
});
