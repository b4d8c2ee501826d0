/**
 * bench/load/sampled-window.ts: the load benchmark's client cuts its window from its own samples
 * at the parent's mark and report times, so a client that handles `mark` late still reports the
 * window the parent asked for.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { sampledWindow, type Mark } from '../bench/load/sampled-window.ts';

const cpu = { user: 0, system: 0 };
const markAt = (at: number, ops: number): Mark => ({ at, cpu, main: cpu, ops, bytes: ops, accepted: 0, failures: 0 });

test('a mark handled 2.9 s late, right before the report, still gives the 3 s window from the samples', () => {
  // 10 messages per ms, sampled every 50 ms from 0 to 4,000 ms; the event loop was busy and
  // handled `mark` (sent at 1,000 ms) at 3,992 ms and `report` (sent at 4,000 ms) at 4,000 ms.
  const samples = Array.from({ length: 81 }, (_, i) => markAt(i * 50, i * 500));
  const handledMark = markAt(3992, 39920);
  const { from, to } = sampledWindow(samples, handledMark, 1000, 4000);
  assert.equal(from.at, 1000);
  assert.equal(to.at, 4000);
  assert.equal(to.ops - from.ops, 30000);
});

test('without samples the window opens at the handled mark', () => {
  const handledMark = markAt(10, 5);
  const only = markAt(3010, 905);
  assert.deepEqual(sampledWindow([only], handledMark, 0, 3000), { from: handledMark, to: only });
});

test('the window is always ordered and bounded by the samples around the parent times', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 2, maxLength: 200 }),
      fc.integer({ min: 0, max: 20000 }),
      fc.integer({ min: 0, max: 20000 }),
      (gaps, a, b) => {
        let at = 0;
        const samples = gaps.map((gap, i) => markAt((at += gap), i));
        const [start, end] = a <= b ? [a, b] : [b, a];
        const { from, to } = sampledWindow(samples, markAt(0, 0), start, end);
        const last = samples[samples.length - 1]!;
        assert.ok(from.at <= to.at);
        assert.ok(to.ops >= from.ops);
        assert.ok(from.at >= start || from === last);
        assert.ok(to.at <= end || to === last);
      },
    ),
    { numRuns: 300 },
  );
});
