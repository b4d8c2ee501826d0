/**
 * `p2p-socket load` options (src/cli/load/load-options.ts, message-sizes.ts, load-run.ts,
 * node-mix.ts): defaults, message size distributions, how connections are split between
 * processes, and node mode's mix and pace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { UsageError } from '../src/cli/flag-parser.ts';
import { LOAD_DEFAULTS, parseLoad } from '../src/cli/load/load-options.ts';
import { split } from '../src/cli/load/load-run.ts';
import { parseSizeDistribution, sizePicker } from '../src/cli/load/message-sizes.ts';
import { DEFAULT_MIX, parseMix, THROTTLE_MARGIN, THROTTLE_SPACING_S, throttleSafeRate } from '../src/cli/load/node-mix.ts';

test('defaults: embedded target, 100 echo connections, closed loop, 100-byte messages', () => {
  const o = parseLoad([]);
  assert.equal(o.target, undefined);
  assert.equal(o.connections, LOAD_DEFAULTS.connections);
  assert.equal(o.mode, 'echo');
  assert.equal(o.rate, undefined);
  assert.deepEqual(o.size, { kind: 'fixed', sizes: [100] });
  assert.equal(o.processes, undefined);
  const t = parseLoad(['[::1]:9732', '--mode', 'churn', '--rate', '250.5', '--sizes', '1,2,3', '--threshold', 'p99<1s', '--threshold', 'errors==0']);
  assert.deepEqual(t.target, { host: '::1', port: 9732 });
  assert.equal(t.rate, 250.5);
  assert.deepEqual(t.size, { kind: 'fixed', sizes: [1, 2, 3] });
  assert.deepEqual(t.thresholds.map((x) => x.expr), ['p99<1s', 'errors==0']);
});

test('--size-dist: sizes picked by weight; bad files are usage errors', () => {
  const distribution = parseSizeDistribution('{"64": 3, "1024": 1, "7": 0}', 'dist.json');
  // JSON objects list integer keys in ascending order.
  assert.deepEqual(distribution, { sizes: [7, 64, 1024], weights: [0, 3, 1] });
  const pick = sizePicker(distribution);
  const counts = new Map<number, number>();
  for (let i = 0; i < 20_000; i++) {
    const size = pick();
    counts.set(size, (counts.get(size) ?? 0) + 1);
  }
  assert.equal(counts.get(7), undefined, 'a size of weight 0 is never picked');
  const share = (counts.get(64) ?? 0) / 20_000;
  assert.ok(share > 0.7 && share < 0.8, `64 bytes picked ${share} of the time, expected 0.75`);
  for (const bad of ['[1,2]', '{"x": 1}', '{"10": -1}', '{"10": 0}', 'nope', '{"104857600": 1}']) {
    assert.throws(() => parseSizeDistribution(bad, 'dist.json'), UsageError, bad);
  }
});

test('connections split between processes: shares add up and differ by at most one', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 1, max: 64 }), (total, parts) => {
      const shares = split(total, parts);
      assert.equal(shares.length, parts);
      assert.equal(shares.reduce((a, b) => a + b, 0), total);
      assert.ok(Math.max(...shares) - Math.min(...shares) <= 1);
    }),
  );
});

test('--metrics-port goes to the embedded target and is refused with HOST:PORT', () => {
  assert.deepEqual(parseLoad(['--metrics-port', '9464']).targetFlags, ['--metrics-port', '9464']);
  assert.deepEqual(parseLoad([]).targetFlags, []);
  assert.throws(() => parseLoad(['127.0.0.1:9732', '--metrics-port', '9464']), UsageError);
  assert.throws(() => parseLoad(['--metrics-port', '70000']), UsageError);
});

test('--max-upload-speed / --max-download-speed (KiB/s) go to the embedded target', () => {
  assert.deepEqual(parseLoad(['--max-upload-speed', '2048', '--max-download-speed', '0']).targetFlags, ['--max-upload-speed', '2048', '--max-download-speed', '0']);
  assert.throws(() => parseLoad(['127.0.0.1:9732', '--max-upload-speed', '10']), UsageError);
  assert.throws(() => parseLoad(['--max-download-speed', '-1']), UsageError);
});

test('--mode node: default mix, paced under the throttle of a real node; --rate spread over connections, refused past the throttle', () => {
  const o = parseLoad(['--mode', 'node']);
  assert.deepEqual(o.node?.mix, DEFAULT_MIX);
  assert.equal(o.node?.chainId, undefined);
  // head is 8/10 of the requests and may come once per 4 s per connection (4.4 s with the margin).
  assert.ok(Math.abs(o.node!.ratePerConnection! - 10 / (8 * 4 * THROTTLE_MARGIN)) < 1e-9);
  assert.equal(o.rate, undefined);
  const spread = parseLoad(['--mode', 'node', '--connections', '100', '--rate', '20', '--mix', 'head=1,bootstrap=1', '--chain-id', 'NetXXAAR1wWQhhe']);
  assert.deepEqual(spread.node, { mix: { head: 1, branch: 0, bootstrap: 1 }, chainId: '54a49562', ratePerConnection: 0.2 });
  assert.throws(() => parseLoad(['--mode', 'node', '--connections', '10', '--rate', '20']), (e: unknown) => e instanceof UsageError && /--connections 71 or more/.test(e.message));
  assert.equal(parseLoad(['--mode', 'node', '--rate-per-connection', '50']).node?.ratePerConnection, 50);
  assert.equal(parseLoad(['--mode', 'node', '--rate-per-connection', 'max']).node?.ratePerConnection, undefined);
  for (const bad of [
    ['--mode', 'node', '--mix', 'head=8,blocks=1'],
    ['--mode', 'node', '--mix', 'head=0'],
    ['--mode', 'node', '--mix', 'head'],
    ['--mode', 'node', '--chain-id', 'NetXXAAR1wWQhhf'],
    ['--mode', 'node', '--rate-per-connection', '0'],
    ['--mode', 'node', '--rate', '1', '--rate-per-connection', '1'],
    ['--mode', 'node', '--size', '10'],
    ['--mode', 'echo', '--mix', 'head=1'],
    ['--rate-per-connection', '1'],
  ]) {
    assert.throws(() => parseLoad(bad), UsageError, bad.join(' '));
  }
});

test('--mix: weights as given, kinds left out weigh 0; the throttle-safe rate keeps every kind under its spacing', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 50 }), (head, branch, bootstrap) => {
      const mix = parseMix(`bootstrap=${bootstrap},head=${head}${branch > 0 ? `,branch=${branch}` : ''}`);
      assert.deepEqual(mix, { head, branch, bootstrap });
      const rate = throttleSafeRate(mix);
      const total = head + branch + bootstrap;
      for (const [kind, weight] of Object.entries(mix) as Array<[keyof typeof THROTTLE_SPACING_S, number]>) {
        if (weight > 0) assert.ok((rate * weight) / total <= 1 / THROTTLE_SPACING_S[kind] + 1e-12, kind);
      }
    }),
  );
});
