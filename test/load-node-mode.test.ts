/**
 * `p2p-socket load --mode node` end to end: the generator against `listen --node` (sharded, in a
 * child process) with 200 connections at the pace a real node takes, and against the embedded
 * target (inline pool) in a closed loop past that pace. Every request is answered, nothing fails
 * to decode, each kind's latency is in the summary, the thresholds and the report, and the
 * summary says when a run went faster than a real node's throttle. All on 127.0.0.1, port 0.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeHistogram } from '../src/cli/load/latency-histogram.ts';
import { SUMMARY_KEYS } from '../src/cli/load/load-summary.ts';
import { readyPort, startCli, type Json } from './helpers/cli-process.ts';

const LOAD_TIMEOUT_MS = 60_000;
const KINDS = ['head', 'branch', 'bootstrap'];
let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2p-socket-load-node-'));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Each kind: sent, all answered, none given up; latencies ordered. */
function assertAllAnswered(summary: Json): void {
  assert.deepEqual(Object.keys(summary['by_kind']), KINDS);
  for (const kind of KINDS) {
    const k = summary['by_kind'][kind];
    assert.ok(k['sent'] > 0, `${kind}: none sent`);
    assert.equal(k['answered'], k['sent'], `${kind}: ${k['sent']} sent, ${k['answered']} answered`);
    assert.equal(k['unanswered'], 0);
    const l = k['latency_ms'];
    assert.ok(l.p50 > 0 && l.p50 <= l.p99 && l.p99 <= l.max, `${kind}: ${JSON.stringify(l)}`);
    assert.ok(decodeHistogram(k['histogram']).totalCount > 0, `${kind}: an empty histogram`);
  }
  assert.equal(summary['messages_in_flight'], 0);
}

test('200 connections against listen --node --workers 2 at a real node\'s pace: every request answered, no decode error, within the throttle', async () => {
  const readyFile = join(dir, 'ready');
  const target = startCli(
    ['listen', '--node', '--points', '127.0.0.1:9732,127.0.0.1:9733', '--workers', '2', '--max-connections', '400', '--ready-file', readyFile, '--json'],
    LOAD_TIMEOUT_MS,
  );
  const port = await readyPort(readyFile);
  const run = await startCli(
    // A branch request every 8.8 s per connection (4 s apart at least): some in every second.
    ['load', `127.0.0.1:${port}`, '--mode', 'node', '--mix', 'head=2,branch=1,bootstrap=1', '--connections', '200', '--duration', '6', '--processes', '1', '--json', '--threshold', 'p99[head]<5s', '--threshold', 'errors==0'],
    LOAD_TIMEOUT_MS,
  ).done;
  target.child.kill('SIGTERM');
  const listened = await target.done;
  assert.equal(run.code, 0, run.stderr);
  const s = run.summary;
  assert.deepEqual(Object.keys(s).sort(), ['event', 'command', 'error', ...SUMMARY_KEYS].sort());
  assert.equal(s['mode'], 'node');
  assert.equal(s['connections_reached'], 200);
  // No DECODING_ERROR, nor anything else, on either side.
  assert.deepEqual(s['errors'], {});
  assertAllAnswered(s);
  // Every connection's first request is the Get_current_branch that activates the chain.
  assert.ok(s['by_kind']['branch']['sent'] >= 200);
  assert.equal(s['node']['chain_id'], 'NetXXAAR1wWQhhe');
  assert.equal(s['node']['mix'], 'head=2,branch=1,bootstrap=1');
  assert.equal(s['node']['throttle_exceeded'], false);
  assert.deepEqual(s['node']['early_requests'], {});
  assert.deepEqual(s['thresholds'].map((t: Json) => [t.expr, t.ok]), [['p99[head]<5s', true], ['errors==0', true], ['connections>=200', true]]);
  assert.ok(s['msgs_per_s'] > 0);
  // The target decoded every message too: its only errors are dials it refused under pressure
  // (handshake-admission.ts), which the generator dialled again.
  assert.equal(listened.summary['connections_accepted'], 200);
  for (const code of Object.keys(listened.summary['errors'])) assert.equal(code, 'TOO_MANY_HANDSHAKES_FROM_ADDRESS');
  assert.equal(listened.summary['messages_received'], s['messages_sent']);
});

test('closed loop on the embedded target (inline pool), past the throttle: the summary says so; per-kind latency in the report', async () => {
  const report = join(dir, 'node.html');
  const run = await startCli(
    [
      'load', '--mode', 'node', '--target-workers', '0', '--connections', '20', '--rate-per-connection', 'max', '--in-flight', '2',
      '--duration', '2', '--json', '--report', report, '--threshold', 'p99[bootstrap]<5s', '--threshold', 'p99[head]<1us',
    ],
    LOAD_TIMEOUT_MS,
  ).done;
  // The 1 µs threshold fails, and with it the run.
  assert.equal(run.code, 1, run.stderr);
  const s = run.summary;
  assert.deepEqual(s['errors'], {});
  assertAllAnswered(s);
  assert.equal(s['node']['rate_per_connection'], null);
  assert.equal(s['node']['throttle_exceeded'], true);
  assert.ok(s['node']['early_requests']['head'] > 0);
  assert.deepEqual(s['thresholds'].map((t: Json) => [t.expr, t.ok]), [['p99[bootstrap]<5s', true], ['p99[head]<1us', false], ['connections>=20', true]]);
  // Closed loop: the answers per second add up to the run's rate.
  const perS = KINDS.reduce((sum, kind) => sum + s['by_kind'][kind]['per_s'], 0);
  assert.ok(Math.abs(perS - s['msgs_per_s']) <= 0.2 * s['msgs_per_s'] + 1, `${perS} vs ${s['msgs_per_s']}`);
  // Live lines carry each kind's latency.
  assert.match(run.stderr, / head=\d+:p50=[0-9.]+ms:p99=[0-9.]+ms/);
  const html = await readFile(report, 'utf8');
  assert.match(html, /<canvas id="kind-latency">/);
  assert.match(html, /<canvas id="kind-distribution">/);
  const data = JSON.parse(/<script type="application\/json" id="data">(.*?)<\/script>/s.exec(html)![1]!) as Json;
  assert.deepEqual(Object.keys(data['kindDistributions']), KINDS);
  assert.deepEqual(Object.keys(data['summary']['by_kind']), KINDS);
  assert.ok(data['points'].some((p: Json) => p['byKind']?.['head']?.['count'] > 0));

  // load merge of two such runs: each kind's counts add up, its histogram merges exactly.
  const file = join(dir, 'node.json');
  await writeFile(file, JSON.stringify(s));
  const merged = await startCli(['load', 'merge', file, file, '--json', '--threshold', 'p99[head]<5s'], LOAD_TIMEOUT_MS).done;
  const m = merged.summary;
  assert.equal(m['mode'], 'node');
  for (const kind of KINDS) {
    assert.equal(m['by_kind'][kind]['sent'], 2 * s['by_kind'][kind]['sent']);
    assert.equal(decodeHistogram(m['by_kind'][kind]['histogram']).totalCount, 2 * decodeHistogram(s['by_kind'][kind]['histogram']).totalCount);
    assert.equal(m['by_kind'][kind]['latency_ms']['p99'], s['by_kind'][kind]['latency_ms']['p99']);
  }
  assert.equal(m['node']['throttle_exceeded'], true);
  assert.equal(m['node']['early_requests']['head'], 2 * s['node']['early_requests']['head']);
  assert.deepEqual(m['thresholds'].map((t: Json) => [t.expr, t.ok]), [['p99[head]<5s', true]]);
});
