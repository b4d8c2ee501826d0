/**
 * Wire byte counters and OCaml's moving average (protocol.md §12.1: alpha 0.2, one tick a second).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrafficStats } from '../src/shared/session/traffic-stats.ts';

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
