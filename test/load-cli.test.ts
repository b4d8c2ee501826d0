/**
 * `p2p-socket load` end to end, as other programs drive it: the CLI loads its own embedded target
 * (or a `listen --workers` target started here) for a few seconds in each mode, and the numbers
 * add up: messages sent = received + in flight, echoes match, the target counted what the
 * generator sent. All on 127.0.0.1, port 0; every child is killed after its time limit.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeHistogram } from '../src/cli/load/latency-histogram.ts';
import { SUMMARY_KEYS } from '../src/cli/load/load-summary.ts';
import { readyPort, startCli, type CliRun, type Json } from './helpers/cli-process.ts';

const LOAD_TIMEOUT_MS = 40_000;
let dir = '';
const summaries: Record<string, Json> = {};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2p-socket-load-'));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function load(...args: string[]): Promise<CliRun> {
  return startCli(['load', ...args], LOAD_TIMEOUT_MS).done;
}

/** The keys every `load --json` summary has: the CLI's envelope and the documented ones. */
function assertKeys(summary: Json): void {
  assert.deepEqual(Object.keys(summary).sort(), ['event', 'command', 'error', ...SUMMARY_KEYS].sort());
  assert.equal(summary['event'], 'summary');
  assert.equal(summary['command'], 'load');
}

function assertLatencies(summary: Json): void {
  const l = summary['latency_ms'];
  assert.ok(l.p50 > 0 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max, JSON.stringify(l));
}

test('echo on the embedded target, 2 processes: every echo back and matched, thresholds checked', async () => {
  const run = await load('--connections', '20', '--duration', '1.5', '--processes', '2', '--in-flight', '2', '--sizes', '8,300', '--json', '--threshold', 'errors==0', '--threshold', 'p99<5s');
  assert.equal(run.code, 0, run.stderr);
  const s = run.summary;
  assertKeys(s);
  assert.equal(s['ok'], true);
  assert.equal(s['mode'], 'echo');
  assert.equal(s['connections_target'], 20);
  assert.equal(s['connections_reached'], 20);
  assert.equal(s['handshakes_ok'], 20);
  assert.deepEqual(s['handshake_errors'], {});
  assert.deepEqual(s['errors'], {}); // no ECHO_MISMATCH: every echo had the length and number sent
  assert.ok(s['messages_sent'] > 100, `only ${s['messages_sent']} messages`);
  assert.equal(s['messages_sent'], s['messages_received'] + s['messages_in_flight']);
  assert.equal(s['messages_in_flight'], 0);
  assert.equal(s['bytes_sent'], s['bytes_received']);
  assert.ok(s['msgs_per_s'] > 0 && s['mb_per_s'] > 0);
  assertLatencies(s);
  assert.deepEqual(s['thresholds'].map((t: Json) => [t.expr, t.ok]), [['errors==0', true], ['p99<5s', true], ['connections>=20', true]]);
  // The window's histogram holds the window's round trips, no more than were received.
  const histogram = decodeHistogram(s['histogram']);
  assert.ok(histogram.totalCount > 0 && histogram.totalCount <= s['messages_received']);
  // Not a terminal: one plain line per second on stderr, stdout only JSON.
  assert.match(run.stderr, /^t=\d+s (ramp|warmup|measure|drain) conns=\d+\/20 /m);
  assert.equal(run.lines.length, 1);
  summaries['echo'] = s;
});

test('send against listen --workers 1: the target received every message the generator handed over', async () => {
  const readyFile = join(dir, 'send-ready');
  const target = startCli(['listen', '--workers', '1', '--allow-duplicate-peers', '--ready-file', readyFile, '--json'], LOAD_TIMEOUT_MS);
  const port = await readyPort(readyFile);
  const run = await load(`127.0.0.1:${port}`, '--mode', 'send', '--connections', '8', '--duration', '1.5', '--in-flight', '4', '--size', '200', '--processes', '1', '--json');
  target.child.kill('SIGTERM');
  const listened = await target.done;
  assert.equal(run.code, 0, run.stderr);
  const s = run.summary;
  assertKeys(s);
  assert.equal(s['connections_reached'], 8);
  assert.equal(s['messages_in_flight'], 0);
  assert.equal(s['messages_received'], 0);
  assert.ok(s['messages_sent'] > 100);
  assert.equal(s['bytes_sent'], s['messages_sent'] * 200);
  assertLatencies(s);
  const t = listened.summary;
  assert.equal(t['connections_accepted'], 8);
  assert.equal(t['messages_received'], s['messages_sent']);
  assert.equal(t['bytes_received'], s['bytes_sent']);
});

test('load against a listen --workers 2 with default limits: every connection is reached (refused dials are dialled again)', async () => {
  // A Pool admits at most half its 20 handshake slots from one address (handshake-admission.ts);
  // the generator dials from one address, so its default concurrency must fit that share.
  const readyFile = join(dir, 'default-limits-ready');
  const target = startCli(['listen', '--workers', '2', '--ready-file', readyFile, '--json'], LOAD_TIMEOUT_MS);
  const port = await readyPort(readyFile);
  const run = await load(`127.0.0.1:${port}`, '--mode', 'send', '--connections', '60', '--duration', '1', '--processes', '1', '--json');
  target.child.kill('SIGTERM');
  const listened = await target.done;
  assert.equal(run.code, 0, run.stderr);
  // A dial refused under pressure is counted, then dialled again: every peer is reached.
  assert.equal(run.summary['connections_reached'], 60, JSON.stringify(run.summary['handshake_errors']));
  assert.equal(run.summary['handshakes_ok'], 60);
  assert.equal(listened.summary['connections_accepted'], 60);
});

test('churn on the embedded target: handshakes/s measured; a threshold that fails exits 1', async () => {
  const run = await load('--mode', 'churn', '--connections', '4', '--duration', '1.5', '--json', '--threshold', 'handshakes/s>1000000000');
  assert.equal(run.code, 1, run.stderr);
  const s = run.summary;
  assertKeys(s);
  assert.equal(s['ok'], false);
  assert.ok(s['handshakes_ok'] >= 10, `${s['handshakes_ok']} handshakes`);
  assert.ok(s['handshakes_per_s'] > 0);
  assert.deepEqual(s['handshake_errors'], {});
  assert.equal(s['messages_sent'], 0);
  assertLatencies(s);
  assert.deepEqual(s['thresholds'], [{ expr: 'handshakes/s>1000000000', value: s['handshakes_per_s'], ok: false }]);
  summaries['churn'] = s;
});

test('load merge: counts add up, histograms merge exactly', async () => {
  assert.ok(summaries['echo'] && summaries['churn'], 'needs the summaries of the echo and churn runs above');
  const a = join(dir, 'a.json');
  const b = join(dir, 'b.json');
  await writeFile(a, JSON.stringify(summaries['echo']));
  await writeFile(b, `{"event":"other"}\n${JSON.stringify(summaries['churn'])}\n`);
  const run = await startCli(['load', 'merge', a, b, '--json'], 20_000).done;
  assert.equal(run.code, 1, run.stderr); // the churn run failed its threshold
  const m = run.summary;
  assert.equal(m['command'], 'load merge');
  assert.equal(m['mode'], 'mixed');
  assert.equal(m['messages_sent'], summaries['echo']!['messages_sent']);
  assert.equal(m['handshakes_ok'], summaries['echo']!['handshakes_ok'] + summaries['churn']!['handshakes_ok']);
  const merged = decodeHistogram(m['histogram']).totalCount;
  assert.equal(merged, decodeHistogram(summaries['echo']!['histogram']).totalCount + decodeHistogram(summaries['churn']!['histogram']).totalCount);
});

test('load merge of files that are not summaries: INVALID_SUMMARY naming the file, not INTERNAL_ERROR', async () => {
  const cases: Array<[string, string, RegExp]> = [
    ['not-json.txt', 'hello\nworld\n', /not-json\.txt: neither a JSON summary nor JSON lines/],
    ['other.json', '{"event":"summary","command":"listen","ok":true}\n', /other\.json: not a p2p-socket load summary/],
    ['null.json', 'null\n', /null\.json: not a p2p-socket load summary/],
  ];
  for (const [name, text, message] of cases) {
    const file = join(dir, name);
    await writeFile(file, text);
    const run = await startCli(['load', 'merge', file, '--json'], 20_000).done;
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.summary['ok'], false);
    const error = run.summary['error'] as { code: string; message: string };
    assert.equal(error.code, 'INVALID_SUMMARY', JSON.stringify(error));
    assert.match(error.message, message);
  }
});
