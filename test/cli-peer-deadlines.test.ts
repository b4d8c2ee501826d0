/**
 * The CLI ends against a peer that stops reading: `connect` whose writes and final flush pile up
 * after the peer's Ack, and `listen --echo` (inline, and pool with 0 and 2 workers) whose echoes
 * a sender never reads. `--timeout` bounds each of those steps; the run ends in TIMEOUT, exit 1.
 * Peers on 127.0.0.1, port 0; each child is killed past its own limit, far beyond `--timeout`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesCodec } from '../src/main/codecs.ts';
import { connect } from '../src/main/connect.ts';
import { nodeMetadataConfig } from '../src/shared/wire/metadata.ts';
import { SANDBOXED_MAVRYK, type NetworkVersion } from '../src/shared/wire/network-version.ts';
import { makeIdentity } from './support/fixtures.ts';
import { silentResponder } from './support/scripted-responder.ts';
import { readyPort, startCli } from './helpers/cli-process.ts';

/** Far past the --timeout used below: a run still going then is the hang this file is about. */
const CHILD_TIMEOUT_MS = 60_000;
/** --timeout: long enough for a handshake on a loaded machine (it bounds the handshake too). */
const TIMEOUT_MS = '5000';
const CLI_VERSION: NetworkVersion = { chainName: SANDBOXED_MAVRYK, distributedDbVersion: 2, p2pVersion: 1 };
const MIB = Buffer.alloc(1 << 20, 7);
/** Messages the never-reading sender offers: far more than socket buffers and queues hold. */
const FLOOD = 64;

let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2p-socket-cli-deadlines-'));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('connect --send 200 --size 1048576 to a peer that never reads: TIMEOUT, exit 1', async () => {
  const responder = await silentResponder(makeIdentity(0), CLI_VERSION);
  try {
    const run = await startCli(['connect', `127.0.0.1:${responder.port}`, '--send', '200', '--size', '1048576', '--timeout', TIMEOUT_MS, '--json'], CHILD_TIMEOUT_MS).done;
    assert.equal(run.signal, null, `connect did not end by itself: ${run.stderr}`);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.summary['ok'], false);
    assert.equal(run.summary['error']['code'], 'TIMEOUT');
    assert.ok(run.summary['messages_sent'] < 200, 'the peer took only part of what was sent');
    assert.equal(run.lines.find((line) => line['event'] === 'authenticated')?.['remote'], `127.0.0.1:${responder.port}`);
  } finally {
    await responder.close();
  }
});

/** Dials the listener, then offers FLOOD messages of 1 MiB and reads none of the echoes. */
async function floodWithoutReading(port: number): Promise<() => Promise<void>> {
  const peer = await connect('127.0.0.1', port, {
    identity: makeIdentity(0),
    announcedVersion: CLI_VERSION,
    metadata: nodeMetadataConfig({ disableMempool: false, privateNode: false }),
    proofOfWorkDifficulty: 0,
    timeout: 20_000,
  });
  const conn = await peer.accept({ codec: bytesCodec, timeout: 20_000 });
  // Not awaited: these writes stall too once the listener stops reading to wait on its echo.
  for (let i = 0; i < FLOOD; i++) conn.write(MIB).catch(() => undefined);
  return async () => {
    await conn.close();
  };
}

for (const workers of [undefined, 0, 2]) {
  const mode = workers === undefined ? 'listen --echo' : `listen --echo --workers ${workers}`;
  test(`${mode}: a peer that sends and never reads the echoes ends in TIMEOUT, exit 1`, async () => {
    const readyFile = join(dir, `ready-${String(workers)}`);
    const pool = workers === undefined ? [] : ['--workers', String(workers)];
    const listener = startCli(['listen', ...pool, '--echo', '--connections', '1', '--timeout', TIMEOUT_MS, '--ready-file', readyFile, '--json'], CHILD_TIMEOUT_MS);
    const close = await floodWithoutReading(await readyPort(readyFile));
    try {
      const run = await listener.done;
      assert.equal(run.signal, null, `the listener did not end by itself: ${run.stderr}`);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.equal(run.summary['ok'], false);
      if (workers === undefined) assert.equal(run.summary['connections'][0]['error']['code'], 'TIMEOUT');
      else assert.equal(run.summary['errors']['TIMEOUT'], 1);
    } finally {
      await close();
    }
  });
}
