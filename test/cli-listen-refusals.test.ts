/**
 * `p2p-socket listen --workers N` says whom it refused and whom it greylisted (a line each, also
 * in --json), and its `ok` counts refusals as the listener doing its job, not as failures.
 * Inline (0) and sharded (2) pools, peers dialled from this process over 127.0.0.1, port 0.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesCodec, connect, nodeMetadataConfig, SANDBOXED_MAVRYK, type Identity } from '../src/main/index.ts';
import { announcedVersion, nodeLocalVersions } from '../src/wire/index.ts';
import { makeIdentity, settle, weakIdentity } from './support/fixtures.ts';
import { readyPort, startCli, type Json } from './helpers/cli-process.ts';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2p-socket-listen-refusals-'));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function dial(port: number, identity: Identity) {
  return connect('127.0.0.1', port, {
    identity,
    announcedVersion: announcedVersion(nodeLocalVersions(SANDBOXED_MAVRYK)),
    metadata: nodeMetadataConfig({ disableMempool: false, privateNode: false }),
    proofOfWorkDifficulty: 0,
    timeout: 10_000,
  }).then((auth) => auth.accept({ codec: bytesCodec, timeout: 10_000 }));
}


const events = (lines: readonly Json[], name: string): Json[] => lines.filter((line) => line['event'] === name);

for (const workers of [0, 2]) {
  test(`listen --workers ${workers}: a greylisting and the refusals it causes are printed, with until and the option`, async () => {
    const readyFile = join(dir, `greylist-${workers}`);
    const listener = startCli(['listen', '--workers', String(workers), '--difficulty', '8', '--ready-file', readyFile, '--json'], 30_000);
    const port = await readyPort(readyFile);
    const weak = await settle(dial(port, weakIdentity(8)));
    assert.equal(weak.ok, false);
    // The greylisting is decided on main after the shard reported the failure: poll, bounded.
    let honest = await settle(dial(port, makeIdentity(8)));
    for (let i = 0; i < 50 && honest.ok; i++) {
      await honest.value.close();
      honest = await settle(dial(port, makeIdentity(8)));
    }
    assert.equal(!honest.ok && honest.error.code, 'CONNECTION_CLOSED');
    assert.match(!honest.ok ? honest.error.message : '', /refused us before authentication/);
    listener.child.kill('SIGTERM');
    const run = await listener.done;

    const [greylisted] = events(run.lines, 'greylisted');
    assert.ok(greylisted, run.stdout);
    assert.equal(greylisted['address'], '127.0.0.1');
    assert.equal(greylisted['code'], 'NOT_ENOUGH_PROOF_OF_WORK');
    assert.equal(greylisted['option'], 'greylistMs');
    assert.ok(Date.parse(greylisted['until']) > Date.now() + 30_000, greylisted['until']);
    const refused = events(run.lines, 'refused');
    assert.equal(refused.length, 1, run.stdout);
    assert.equal(refused[0]!['code'], 'POINT_BANNED');
    assert.equal(refused[0]!['option'], 'greylistMs');
    assert.equal(refused[0]!['until'], greylisted['until']);
    assert.match(refused[0]!['reason'], /greylisted until/);
    assert.equal(run.summary['refused']?.['POINT_BANNED'], 1);
    // The failed handshake is a failure; the refusals are not what makes it one.
    assert.equal(run.summary['errors']?.['NOT_ENOUGH_PROOF_OF_WORK'], 1);
    assert.equal(run.summary['ok'], false);
  });

  test(`listen --workers ${workers} --max-connections 1 --connections 1: a nacked second peer is a refusal, not a failure (ok, exit 0)`, async () => {
    const readyFile = join(dir, `max-${workers}`);
    const listener = startCli(['listen', '--workers', String(workers), '--max-connections', '1', '--connections', '1', '--ready-file', readyFile, '--json'], 30_000);
    const port = await readyPort(readyFile);
    const holder = await dial(port, makeIdentity(0));
    const second = await settle(dial(port, makeIdentity(0)));
    assert.equal(!second.ok && second.error.code, 'REJECTED_BY_NACK');
    await holder.close();
    const run = await listener.done;
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.equal(run.summary['ok'], true);
    assert.deepEqual(run.summary['refused'], { TOO_MANY_CONNECTIONS: 1 });
    assert.equal(run.summary['errors']?.['TOO_MANY_CONNECTIONS'], 1);
    const [refused] = events(run.lines, 'refused');
    assert.equal(refused?.['option'], 'maxConnections');
    assert.equal(refused?.['motive_name'], 'Too_many_connections');
  });
}

test('listen --workers 0 without --json prints the greylisting as a line', async () => {
  const readyFile = join(dir, 'greylist-text');
  const listener = startCli(['listen', '--workers', '0', '--difficulty', '8', '--ready-file', readyFile], 30_000);
  const port = await readyPort(readyFile);
  assert.equal((await settle(dial(port, weakIdentity(8)))).ok, false);
  // Inline, the greylisting is decided before the weak peer's socket closes; one more dial is refused.
  await settle(dial(port, makeIdentity(8)));
  listener.child.kill('SIGTERM');
  const run = await listener.done;
  assert.match(run.stdout, /^greylisted 127\.0\.0\.1 until \S+ after NOT_ENOUGH_PROOF_OF_WORK: .*\(option greylistMs\)$/m);
  assert.match(run.stdout, /^refused 127\.0\.0\.1:\d+: POINT_BANNED: address 127\.0\.0\.1 is greylisted until/m);
});
