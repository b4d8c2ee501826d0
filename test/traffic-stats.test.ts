/**
 * Wire byte counters and OCaml's moving average (protocol.md §12.1: alpha 0.2, one tick a second).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrafficStats, statsNow } from '../src/shared/session/traffic-stats.ts';

test('totals count every byte; the average follows OCaml ticks: 200 after 1000 B in one second, then decays by 0.8 a tick', () => {
  const stats = new TrafficStats(0);
  stats.addSent(600);
  stats.addSent(400);
  stats.addRecv(50);
  assert.deepEqual(stats.snapshot(999), { totalSent: 1000, totalRecv: 50, currentInflow: 0, currentOutflow: 0 });
  const first = stats.snapshot(1000);
  assert.equal(first.currentOutflow, 200);
  assert.equal(first.currentInflow, 10);
  const idle = stats.snapshot(3000);
  assert.equal(idle.currentOutflow, 128); // 200 × 0.8 × 0.8
  assert.equal(idle.totalSent, 1000);
});

test('a steady rate converges to that rate', () => {
  const stats = new TrafficStats(0);
  let last = 0;
  for (let second = 1; second <= 40; second++) {
    stats.addRecv(5000);
    last = stats.snapshot(second * 1000).currentInflow;
  }
  assert.ok(Math.abs(last - 5000) <= 1, String(last));
});

test('the averages are the same whatever the clock: before the stats epoch, across its 31-bit boundary (24.8 days), long after', () => {
  const epoch = Date.now() - statsNow();
  /** One scenario of reads and snapshots, every time counted from `start`. */
  const play = (start: number): unknown[] => {
    const stats = new TrafficStats(start);
    const seen: unknown[] = [];
    for (let tick = 1; tick <= 6; tick++) {
      stats.addRecv(1000 * tick);
      stats.addSent(300);
      seen.push(stats.snapshot(start + tick * 450));
    }
    seen.push(stats.snapshot(start + 10_000));
    return seen;
  };
  const near = play(epoch + 5000);
  for (const start of [0, epoch - 100_000, epoch + 2 ** 31 - 1300, epoch + 2 ** 31 - 1, epoch + 2 ** 31, epoch + 2 ** 33, epoch + 2 ** 40]) {
    assert.deepEqual(play(start), near, `clock starting at epoch ${start >= epoch ? '+' : ''}${start - epoch} ms`);
  }
  // The same, for stats made by `TrafficStats.since` a clock reading past the boundary.
  const late = TrafficStats.since(2 ** 31 + 10);
  const early = TrafficStats.since(10);
  late.addRecv(5000);
  early.addRecv(5000);
  assert.deepEqual(late.snapshot(epoch + 2 ** 31 + 2010), early.snapshot(epoch + 2010));
});
