/**
 * Stats slots of a shard (stat-slots.ts): two live connections never share counters, whatever
 * their ids; a freed slot is reused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StatSlots, createStatsTable, readTotals, writeTotals } from '../src/shared/shard/stat-slots.ts';

test('no two live connections hold the same slot, under any allocate/release sequence', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constant<'alloc'>('alloc'), fc.nat(64)), { maxLength: 300 }), (ops) => {
      const slots = new StatSlots(32);
      const live: number[] = [];
      for (const op of ops) {
        if (op === 'alloc') {
          const slot = slots.allocate();
          if (live.length >= 32) assert.equal(slot, undefined);
          else {
            assert.notEqual(slot, undefined);
            assert.ok(!live.includes(slot!), `slot ${slot} handed out twice`);
            live.push(slot!);
          }
        } else if (live.length > 0) {
          const [slot] = live.splice(op % live.length, 1);
          slots.release(slot!);
        }
        assert.equal(slots.inUse, live.length);
      }
    }),
  );
});

test('connection ids 65,536 apart (which shared a slot as `id % 65536`) get their own totals', () => {
  const slots = new StatSlots(1 << 16);
  const table = new Float64Array(createStatsTable(1 << 16));
  const a = slots.allocate()!;
  const b = slots.allocate()!;
  assert.notEqual(a, b);
  writeTotals(table, a, 10, 20);
  writeTotals(table, b, 30, 40);
  assert.deepEqual(readTotals(table, a), [10, 20]);
  assert.deepEqual(readTotals(table, b), [30, 40]);
});
