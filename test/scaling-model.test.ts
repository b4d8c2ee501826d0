/**
 * The scaling model of bench/scale (docs/scaling.md): hand-checked cases, and its monotonicity.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { errorPercent, LAYOUTS, predictRate } from '../bench/scale/model.ts';

/** 1 µs on main, 4 µs on a shard, nothing elsewhere: 5 µs of CPU per message in all. */
const COSTS = { main: 1, shard: 4, helpers: 0 };

function near(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) < 1e-6 * Math.abs(expected), `${actual} is not ${expected}`);
}

test('one shard on two cores: the shard binds at 1 / 4 µs = 250,000 messages/s', () => {
  const p = predictRate(COSTS, { shards: 1, cores: 2 });
  assert.equal(p.bound, 'shards');
  near(p.rate, 250_000);
  near(p.limits.main, 1_000_000);
  near(p.limits.cores, 400_000); // 2 cores / 5 µs
});

test('four shards on four cores: the cores bind at 4 / 5 µs = 800,000 messages/s', () => {
  const p = predictRate(COSTS, LAYOUTS.shardPerCore(4));
  assert.equal(p.bound, 'cores');
  near(p.rate, 800_000);
  near(p.limits.shards, 1_000_000);
});

test('sixteen cores, main plus fifteen shards: the main thread binds at 1 / 1 µs', () => {
  const layout = LAYOUTS.mainPlusShards(16);
  assert.equal(layout.shards, 15);
  const p = predictRate(COSTS, layout);
  assert.equal(p.bound, 'main');
  near(p.rate, 1_000_000);
  near(p.limits.cores, 3_200_000); // 16 / 5 µs
  near(p.limits.shards, 3_750_000); // 15 / 4 µs
});

test('helpers, kernel and a client on the same cores all count against the cores', () => {
  // 1 + 4 + 1 (helpers) + 0.5 (kernel) + 1.5 (client) = 8 µs on 2 cores: 250,000/s.
  const p = predictRate({ main: 1, shard: 4, helpers: 1, kernel: 0.5 }, { shards: 2, cores: 2, client: { cost: 1.5, sharesCores: true } });
  assert.equal(p.bound, 'cores');
  near(p.rate, 250_000);
  near(p.limits.client, 1e6 / 1.5);
});

test('a client on a core of its own binds with the kernel work on that core', () => {
  // Server: 1 shard on 1 core, 5 µs per message: 200,000/s. Client: 4 + 2 µs on its core: 166,667/s.
  const p = predictRate(COSTS, { shards: 1, cores: 1, client: { cost: 4, sharesCores: false, kernel: 2 } });
  assert.equal(p.bound, 'client');
  near(p.rate, 1e6 / 6);
  near(p.limits.cores, 200_000);
});

test('errorPercent is signed, relative to the measurement; a placement needs a shard and cores', () => {
  near(errorPercent(115, 100), 15);
  near(errorPercent(85, 100), -15);
  assert.throws(() => predictRate(COSTS, { shards: 0, cores: 2 }), RangeError);
  assert.throws(() => predictRate(COSTS, { shards: 1, cores: 0 }), RangeError);
});

test('more shards or more cores never lower the prediction, and it never exceeds a limit', () => {
  const cost = fc.double({ min: 0.01, max: 100, noNaN: true });
  fc.assert(
    fc.property(cost, cost, cost, fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }), (main, shard, helpers, shards, cores) => {
      const costs = { main, shard, helpers };
      const base = predictRate(costs, { shards, cores });
      assert.ok(predictRate(costs, { shards: shards + 1, cores }).rate >= base.rate);
      assert.ok(predictRate(costs, { shards, cores: cores + 1 }).rate >= base.rate);
      for (const limit of Object.values(base.limits)) assert.ok(base.rate <= limit);
    }),
    { numRuns: 300 },
  );
});
