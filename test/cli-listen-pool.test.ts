/**
 * `p2p-socket listen --workers N`: the pool-backed listener, inline (0) and sharded (1), driven
 * by `connect` children over 127.0.0.1, port 0. Every wait is bounded.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesCodec, connect, identityFromKeys, nodeMetadataConfig, SANDBOXED_MAVRYK } from '../src/main/index.ts';
import { announcedVersion, generateKeyPair, nodeLocalVersions } from '../src/wire/index.ts';
import { readyPort, startCli } from './helpers/cli-process.ts';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2p-socket-listen-pool-'));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

for (const workers of [0, 1]) {
  test(`listen --workers ${workers} --echo --connections 2: echoes, counts, exits after 2 connections ended`, async () => {
    const readyFile = join(dir, `ready-${workers}`);
    const listener = startCli(['listen', '--workers', String(workers), '--echo', '--connections', '2', '--ready-file', readyFile, '--json'], 20_000);
    const port = await readyPort(readyFile);
    const first = await startCli(['connect', `127.0.0.1:${port}`, '--send', '3', '--size', '100', '--expect-echo', '--json'], 15_000).done;
    const second = await startCli(['connect', `127.0.0.1:${port}`, '--send', '2', '--size', '10', '--expect-echo', '--json'], 15_000).done;
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 0, second.stderr);
    const run = await listener.done;
    assert.equal(run.code, 0, run.stderr);
    const summary = run.summary;
    assert.equal(summary['command'], 'listen');
    assert.equal(summary['ok'], true);
    assert.equal(summary['workers'], workers);
    assert.equal(summary['connections_accepted'], 2);
    assert.equal(summary['connections_ended'], 2);
    assert.equal(summary['messages_received'], 5);
    assert.equal(summary['messages_sent'], 5);
    assert.equal(summary['bytes_received'], 320);
    assert.deepEqual(summary['errors'], {});
  });
}

for (const workers of [0, 1]) {
  test(`listen --workers ${workers} stopped by SIGTERM before serving its --connections reports ok: false (INTERRUPTED), exit 1`, async () => {
    const readyFile = join(dir, `interrupted-${workers}`);
    const listener = startCli(['listen', '--workers', String(workers), '--connections', '1', '--ready-file', readyFile, '--json'], 20_000);
    await readyPort(readyFile);
    listener.child.kill('SIGTERM');
    const run = await listener.done;
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.summary['ok'], false);
    assert.equal(run.summary['error']?.code, 'INTERRUPTED');
    assert.match(run.summary['error']?.message, /stopped by SIGTERM after serving 0 of --connections 1/);
  });
}

test('listen --max-connections 1 --workers 0: the second peer is nacked TOO_MANY_CONNECTIONS', async () => {
  const readyFile = join(dir, 'ready-max');
  const listener = startCli(['listen', '--workers', '0', '--max-connections', '1', '--ready-file', readyFile, '--json'], 20_000);
  const port = await readyPort(readyFile);
  // The first peer, dialled here, holds the only slot: established before the second one dials.
  const holder = await (
    await connect('127.0.0.1', port, {
      identity: identityFromKeys(generateKeyPair().secretKey, Buffer.alloc(24)),
      announcedVersion: announcedVersion(nodeLocalVersions(SANDBOXED_MAVRYK)),
      metadata: nodeMetadataConfig({ disableMempool: false, privateNode: false }),
      proofOfWorkDifficulty: 0,
      timeout: 10_000,
    })
  ).accept({ codec: bytesCodec, timeout: 10_000 });
  const refused = await startCli(['connect', `127.0.0.1:${port}`, '--json'], 15_000).done;
  await holder.close();
  assert.equal(refused.code, 1);
  assert.equal(refused.summary['error']?.['code'], 'REJECTED_BY_NACK');
  assert.equal(refused.summary['error']?.['motive_name'], 'Too_many_connections');
  listener.child.kill('SIGTERM');
  const run = await listener.done;
  assert.equal(run.summary['errors']?.['TOO_MANY_CONNECTIONS'], 1);
});

test('pool-only flags without --workers are a usage error (exit 2)', async () => {
  const run = await startCli(['listen', '--max-connections', '5'], 10_000).done;
  assert.equal(run.code, 2);
  assert.match(run.stderr, /--max-connections needs --workers/);
});
