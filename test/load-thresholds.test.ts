/**
 * `p2p-socket load --threshold EXPR` (src/cli/load/thresholds.ts): parsing, units, and the
 * check against a run's numbers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkThreshold, parseThreshold, ThresholdSyntaxError, type ThresholdInputs } from '../src/cli/load/thresholds.ts';

const RUN: ThresholdInputs = {
  latencyMs: { p50: 2, p90: 8, p99: 40, p999: 120, max: 900 },
  errors: 0,
  handshakeErrors: 3,
  connections: 500,
  msgsPerS: 25_000,
  mbPerS: 5,
  handshakesPerS: 120,
};

test('latency thresholds take us, ms (default) and s, normalised to ms', () => {
  assert.deepEqual(parseThreshold('p99<50ms'), { expr: 'p99<50ms', metric: 'p99', operator: '<', value: 50 });
  assert.equal(parseThreshold('p99 < 50').value, 50);
  assert.equal(parseThreshold('max<=1.5s').value, 1500);
  assert.equal(parseThreshold('p50<800us').value, 0.8);
  assert.equal(parseThreshold('p99.9<1s').metric, 'p999');
});

test('count and rate thresholds: errors==0, msgs/s>10000, handshakes/s, mb/s, connections', () => {
  assert.deepEqual(parseThreshold('errors==0'), { expr: 'errors==0', metric: 'errors', operator: '==', value: 0 });
  assert.deepEqual(parseThreshold('msgs/s>10000'), { expr: 'msgs/s>10000', metric: 'msgs/s', operator: '>', value: 10_000 });
  assert.equal(parseThreshold('handshakes/s>=100').metric, 'handshakes/s');
  assert.equal(parseThreshold('mb/s>1.5').value, 1.5);
  assert.equal(parseThreshold('connections!=0').operator, '!=');
});

test('bad expressions are refused with a message naming the problem', () => {
  assert.throws(() => parseThreshold('p99'), ThresholdSyntaxError);
  assert.throws(() => parseThreshold('latency<5ms'), /unknown metric "latency"/);
  assert.throws(() => parseThreshold('p99<5min'), /latency unit/);
  assert.throws(() => parseThreshold('errors==0ms'), /takes no unit/);
  assert.throws(() => parseThreshold('msgs/s>-1'), ThresholdSyntaxError);
  assert.throws(() => parseThreshold('p99=<5'), ThresholdSyntaxError);
});

test('checks against a run: each result has expr, value and ok', () => {
  assert.deepEqual(checkThreshold(parseThreshold('p99<50ms'), RUN), { expr: 'p99<50ms', value: 40, ok: true });
  assert.deepEqual(checkThreshold(parseThreshold('p99<0.03s'), RUN), { expr: 'p99<0.03s', value: 40, ok: false });
  assert.equal(checkThreshold(parseThreshold('errors==0'), RUN).ok, true);
  assert.equal(checkThreshold(parseThreshold('handshake_errors==0'), RUN).ok, false);
  assert.equal(checkThreshold(parseThreshold('msgs/s>10000'), RUN).ok, true);
  assert.equal(checkThreshold(parseThreshold('connections>=500'), RUN).ok, true);
  assert.equal(checkThreshold(parseThreshold('max<=900'), RUN).ok, true);
  assert.equal(checkThreshold(parseThreshold('max<900'), RUN).ok, false);
});

test('any printed threshold parses back to the same metric, operator and value', () => {
  const metrics = ['p50', 'p90', 'p99', 'p999', 'max', 'errors', 'handshake_errors', 'connections', 'msgs/s', 'mb/s', 'handshakes/s'];
  const operators = ['<', '<=', '>', '>=', '==', '!='];
  fc.assert(
    fc.property(fc.constantFrom(...metrics), fc.constantFrom(...operators), fc.integer({ min: 0, max: 1e9 }), fc.boolean(), (metric, operator, value, spaced) => {
      const gap = spaced ? ' ' : '';
      const parsed = parseThreshold(`${metric}${gap}${operator}${gap}${value}`);
      assert.equal(parsed.metric, metric);
      assert.equal(parsed.operator, operator);
      assert.equal(parsed.value, value);
    }),
  );
});

test('a latency of one request kind: p99[head]<5ms checks that kind alone; a kind without answers fails', () => {
  const threshold = parseThreshold('p99[head] < 5ms');
  assert.deepEqual(threshold, { expr: 'p99[head] < 5ms', metric: 'p99', kind: 'head', operator: '<', value: 5 });
  const run = { ...RUN, latencyByKind: { head: { p50: 1, p90: 2, p99: 4, p999: 6, max: 9 }, bootstrap: { p50: 30, p90: 40, p99: 60, p999: 70, max: 80 } } };
  assert.deepEqual(checkThreshold(threshold, run), { expr: 'p99[head] < 5ms', value: 4, ok: true });
  assert.deepEqual(checkThreshold(parseThreshold('p99[bootstrap]<5ms'), run), { expr: 'p99[bootstrap]<5ms', value: 60, ok: false });
  assert.deepEqual(checkThreshold(parseThreshold('max[branch]<1s'), run), { expr: 'max[branch]<1s', value: null, ok: false });
  // Without the kind, the overall latency as before.
  assert.equal(checkThreshold(parseThreshold('p99<50ms'), run).value, 40);
  assert.throws(() => parseThreshold('p99[blocks]<5ms'), /unknown kind "blocks"/);
  assert.throws(() => parseThreshold('errors[head]==0'), /only latencies/);
  assert.throws(() => parseThreshold('p99[]<5ms'), /unknown kind ""/);
});
