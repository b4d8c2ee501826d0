/**
 * bench/load/paired.ts: W6's broadcast gain is a ratio per pair of runs taken one after the other,
 * then the median of those ratios, not a ratio of medians from different runs; and the parent runs
 * paired workloads alternately.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { pairedRatios, runGroups, slotRun } from '../bench/load/paired.ts';
import type { RunResult } from '../bench/load/workload.ts';
import { WORKLOADS } from '../bench/load/workloads.ts';

/** A run result carrying only what pairing reads: its slot, noise flag and one value. */
const runOf = (run: number, value: number, noisy = false): RunResult => ({ run, noisy, value }) as unknown as RunResult;
const valueOf = (r: RunResult): number => (r as unknown as { value: number }).value;

test('the gain is the median of the per-pair ratios, not the ratio of the two medians', () => {
  // The machine got slower run after run: each pair sees one state, and broadcast is 1.2× unicast
  // in every pair; medians taken separately divide 1,200 by 800 (1.5).
  const broadcast = [runOf(1, 1200), runOf(2, 960), runOf(3, 600)];
  const unicast = [runOf(1, 1000), runOf(2, 800), runOf(3, 500)];
  const { ratios, spread } = pairedRatios(broadcast, unicast, valueOf);
  assert.deepEqual(ratios.map((r) => Math.round(r * 1000) / 1000), [1.2, 1.2, 1.2]);
  assert.equal(Math.round(spread!.median * 1000) / 1000, 1.2);
});

test("a slot stands for its clean attempt, else its last; a slot one side lacks or a zero divisor makes no pair", () => {
  const noisyThenClean = [runOf(1, 10, true), runOf(1, 20)];
  assert.equal(valueOf(slotRun(noisyThenClean, 1)!), 20);
  assert.equal(valueOf(slotRun([runOf(2, 5, true), runOf(2, 7, true)], 2)!), 7);
  assert.equal(slotRun(noisyThenClean, 2), undefined);
  const { ratios } = pairedRatios([runOf(1, 20), runOf(2, 30), runOf(3, 8)], [runOf(1, 10), runOf(3, 0)], valueOf);
  assert.deepEqual(ratios, [2]);
  assert.equal(pairedRatios([runOf(1, 1)], [], valueOf).spread, undefined);
});

test('every pairwise ratio divides the two runs of one slot', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 1000 }), fc.boolean()), { maxLength: 12 }),
      fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 1000 }), fc.boolean()), { maxLength: 12 }),
      (a, b) => {
        const left = a.map(([run, v, noisy]) => runOf(run, v, noisy));
        const right = b.map(([run, v, noisy]) => runOf(run, v, noisy));
        const { ratios, spread } = pairedRatios(left, right, valueOf);
        const slots = [...new Set(left.map((r) => r.run))].filter((run) => right.some((r) => r.run === run)).sort((x, y) => x - y);
        assert.deepEqual(
          ratios,
          slots.map((run) => valueOf(slotRun(left, run)!) / valueOf(slotRun(right, run)!)),
        );
        assert.equal(spread === undefined, ratios.length === 0);
      },
    ),
    { numRuns: 300 },
  );
});

test('W6 broadcast and unicast run in one alternating group; other workloads alone, in order', () => {
  const ids = (groups: ReturnType<typeof runGroups>): string[][] => groups.map((g) => g.map((w) => w.id));
  assert.deepEqual(ids(runGroups([WORKLOADS['W1-bulk'], WORKLOADS['W6-broadcast'], WORKLOADS['W6-unicast'], WORKLOADS['W4-memory']])), [
    ['W1-bulk'],
    ['W6-broadcast', 'W6-unicast'],
    ['W4-memory'],
  ]);
  assert.deepEqual(ids(runGroups([WORKLOADS['W6-unicast']])), [['W6-unicast']]);
});
