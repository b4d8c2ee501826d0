/**
 * `p2p-socket connect` ends against a peer that Acks and then never reads: writes and the final
 * flush are bounded by `--timeout` like the handshake, and the run ends in TIMEOUT, exit status 1.
 * The peer is a scripted responder on 127.0.0.1, port 0; the child is killed past its own limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SANDBOXED_MAVRYK } from '../src/shared/wire/network-version.ts';
import { makeIdentity } from './support/fixtures.ts';
import { silentResponder } from './support/scripted-responder.ts';
import { startCli } from './helpers/cli-process.ts';

/** Far past the --timeout used below: a run still going then is the hang this file is about. */
const CHILD_TIMEOUT_MS = 30_000;

test('connect --send 200 --size 1048576 to a peer that never reads: TIMEOUT, exit 1', async () => {
  const responder = await silentResponder(makeIdentity(0), { chainName: SANDBOXED_MAVRYK, distributedDbVersion: 2, p2pVersion: 1 });
  try {
    const run = await startCli(['connect', `127.0.0.1:${responder.port}`, '--send', '200', '--size', '1048576', '--timeout', '1500', '--json'], CHILD_TIMEOUT_MS).done;
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
