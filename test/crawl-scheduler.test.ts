/**
 * The crawl's walk (crawl-scheduler.ts) over made-up networks: a probe that answers from a table
 * stands for the peers, so the walk's own rules are what is checked: breadth-first order, depth,
 * count, concurrency and time bounds, `--only`, every point dialled at most once. fast-check
 * draws the networks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { AddressFilter, InvalidRangeError } from '../src/cli/crawl/address-filter.ts';
import { crawlBreadthFirst, type CrawlLimits } from '../src/cli/crawl/crawl-scheduler.ts';
import { formatPoint, type Point } from '../src/shared/wire/point.ts';

const point = (i: number): Point => ({ host: '127.0.0.1', port: 10_000 + i });
const NO_LIMITS: CrawlLimits = { maxPeers: 1_000_000, depth: 1000, concurrency: 4, maxTimeMs: 20_000 };

/** A probe answering from `edges` (point index → advertised indices) after `delayMs`. */
function network(edges: ReadonlyMap<number, readonly number[]>, delayMs = 0) {
  let running = 0;
  let peak = 0;
  const dialled: number[] = [];
  return {
    dialled,
    get peak() {
      return peak;
    },
    probe: async (p: Point, signal: AbortSignal): Promise<number[]> => {
      const i = p.port - 10_000;
      dialled.push(i);
      running++;
      peak = Math.max(peak, running);
      try {
        if (delayMs > 0) await sleep(delayMs, undefined, { signal }).catch(() => undefined);
        return [...(edges.get(i) ?? [])];
      } finally {
        running--;
      }
    },
    handedOver: (result: number[]) => result.map(point),
  };
}

/** Hop counts from node 0, as a breadth-first search computes them. */
function hops(edges: ReadonlyMap<number, readonly number[]>): Map<number, number> {
  const distance = new Map([[0, 0]]);
  const queue = [0];
  while (queue.length > 0) {
    const at = queue.shift()!;
    for (const next of edges.get(at) ?? []) {
      if (!distance.has(next)) {
        distance.set(next, distance.get(at)! + 1);
        queue.push(next);
      }
    }
  }
  return distance;
}

const graphs = fc
  .integer({ min: 1, max: 30 })
  .chain((n) => fc.array(fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 6 }), { minLength: n, maxLength: n }))
  .map((lists) => new Map(lists.map((list, i) => [i, list] as const)));

test('every point reachable from the seed is dialled once, at its hop count, in breadth-first order', async () => {
  await fc.assert(
    fc.asyncProperty(graphs, fc.integer({ min: 1, max: 8 }), async (edges, concurrency) => {
      const net = network(edges);
      const walk = await crawlBreadthFirst([point(0)], { ...NO_LIMITS, concurrency }, { probe: net.probe, handedOver: net.handedOver, allows: () => true });
      const expected = hops(edges);
      assert.equal(walk.stoppedBy, 'done');
      assert.deepEqual(new Set(net.dialled), new Set(expected.keys()));
      assert.equal(net.dialled.length, expected.size, 'a point was dialled twice');
      for (const visit of walk.visits) assert.equal(visit.depth, expected.get(visit.point.port - 10_000), visit.key);
      // Dials start in order of depth.
      const depths = net.dialled.map((i) => expected.get(i)!);
      assert.deepEqual(depths, [...depths].sort((a, b) => a - b));
      assert.ok(net.peak <= concurrency);
    }),
    { numRuns: 60 },
  );
});

test('--depth, --max-peers and --only bound the walk, and what was left is reported with its reason', async () => {
  await fc.assert(
    fc.asyncProperty(graphs, fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 12 }), async (edges, depth, maxPeers) => {
      const net = network(edges);
      // Only even ports may be dialled (the seed is dialled whatever its address).
      const walk = await crawlBreadthFirst([point(0)], { ...NO_LIMITS, depth, maxPeers }, { probe: net.probe, handedOver: net.handedOver, allows: (p) => p.port % 2 === 0 });
      assert.ok(net.dialled.length <= maxPeers);
      for (const visit of walk.visits) {
        assert.ok(visit.depth <= depth);
        if (visit.via !== undefined) assert.equal(visit.point.port % 2, 0);
      }
      for (const s of walk.skipped) {
        if (s.reason === 'filtered') assert.equal(s.point.port % 2, 1);
        if (s.reason === 'too_deep') assert.ok(s.depth > depth);
      }
      if (walk.skipped.some((s) => s.reason === 'max_peers')) assert.equal(walk.stoppedBy, 'max_peers');
      // Nothing dialled is also listed as skipped, and nothing is listed twice.
      const keys = [...walk.visits.map((v) => v.key), ...walk.skipped.map((s) => s.key)];
      assert.equal(new Set(keys).size, keys.length);
    }),
    { numRuns: 60 },
  );
});

test('--max-time aborts the dials still running and the walk ends with them', async () => {
  // A chain of peers, each answering after 5 s unless aborted.
  const edges = new Map(Array.from({ length: 10 }, (_, i) => [i, [i + 1]] as const));
  const net = network(edges, 5000);
  const started = Date.now();
  const walk = await crawlBreadthFirst([point(0)], { ...NO_LIMITS, maxTimeMs: 100 }, { probe: net.probe, handedOver: net.handedOver, allows: () => true });
  assert.equal(walk.stoppedBy, 'max_time');
  assert.ok(Date.now() - started < 4000, 'the running dial was not aborted');
  // The aborted dial still reported what it had (here: its next point), which was not dialled.
  assert.deepEqual(net.dialled, [0]);
  assert.deepEqual(walk.skipped.map((s) => [s.key, s.reason]), [[formatPoint(point(1)), 'max_time']]);
});

test('an interrupt (Ctrl-C) stops the walk like --max-time, reported as interrupted', async () => {
  const edges = new Map(Array.from({ length: 10 }, (_, i) => [i, [i + 1]] as const));
  const net = network(edges, 5000);
  const interrupt = new AbortController();
  setTimeout(() => interrupt.abort(), 50);
  const walk = await crawlBreadthFirst([point(0)], NO_LIMITS, { probe: net.probe, handedOver: net.handedOver, allows: () => true, interrupt: interrupt.signal });
  assert.equal(walk.stoppedBy, 'interrupted');
  assert.deepEqual(walk.skipped.map((s) => s.reason), ['interrupted']);
});

test('a point with port 0 is never dialled (it names no listening socket)', async () => {
  const net = network(new Map([[0, [1]]]));
  const walk = await crawlBreadthFirst([point(0)], NO_LIMITS, {
    probe: net.probe,
    handedOver: () => [{ host: '127.0.0.2', port: 0 }],
    allows: () => true,
  });
  assert.deepEqual(net.dialled, [0]);
  assert.deepEqual(walk.skipped.map((s) => s.reason), ['no_port']);
});

test('--only: CIDR ranges of both families, IPv4-mapped addresses matched as IPv4, bad ranges refused', () => {
  const filter = AddressFilter.parse('127.0.0.0/8, 10.1.0.0/16,fd00::/8,192.0.2.7');
  assert.deepEqual(filter.ranges, ['127.0.0.0/8', '10.1.0.0/16', 'fd00::/8', '192.0.2.7/32']);
  for (const host of ['127.0.0.1', '127.255.0.9', '::ffff:127.0.0.5', '10.1.200.3', 'fd12::1', '192.0.2.7']) assert.ok(filter.allows(host), host);
  for (const host of ['128.0.0.1', '10.2.0.1', '::1', 'fe80::1', '192.0.2.8', 'localhost', '']) assert.ok(!filter.allows(host), host);
  assert.ok(AddressFilter.parse('::ffff:10.0.0.0/104').allows('10.9.9.9'));
  for (const bad of ['', ',', '127.0.0.0/33', 'example.com/8', '10.0.0.0/x', '::/129']) assert.throws(() => AddressFilter.parse(bad), InvalidRangeError, bad);
});
