/**
 * The per-thread layout pool (layout-pool.ts) stays within its turn capacity whatever is given
 * back, and within its capacity once the turn's trim has run;
 * hands out buffers of exactly the size asked, each the whole of its own memory, and keeps only
 * buffers it deals in (not views of a larger buffer, not small or huge ones).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { LayoutPool, POOLED_LAYOUT_MAX, SMALL_LAYOUT_MAX } from '../src/shared/session/layout-pool.ts';

const CAPACITY = 200_000;
const TURN_CAPACITY = 500_000;

test('any sequence of takes, gives and trims keeps the free bytes within the turn capacity (the capacity after a trim) and takes exact, whole buffers', () => {
  const size = fc.oneof(fc.integer({ min: 1, max: POOLED_LAYOUT_MAX + 1000 }), fc.constantFrom(5000, 65_576, 70_000, SMALL_LAYOUT_MAX + 1));
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom('take', 'give', 'trim'), size), { maxLength: 200 }), (steps) => {
      const pool = new LayoutPool(CAPACITY, TURN_CAPACITY);
      const out: Buffer[] = [];
      for (const [step, length] of steps) {
        const give = step === 'give';
        if (step === 'trim') {
          pool.trim();
          assert.ok(pool.heldBytes <= CAPACITY, `holds ${pool.heldBytes} after a trim`);
        } else if (give && out.length > 0) pool.give(out.pop()!);
        else if (give) pool.give(Buffer.allocUnsafeSlow(length));
        else {
          const buffer = pool.take(length);
          assert.equal(buffer.length, length);
          assert.equal(buffer.byteOffset, 0);
          assert.equal(buffer.buffer.byteLength, length);
          assert.ok(!out.includes(buffer), 'a buffer handed out twice');
          out.push(buffer);
        }
        assert.ok(pool.heldBytes >= 0 && pool.heldBytes <= TURN_CAPACITY, `holds ${pool.heldBytes}`);
      }
    }),
  );
});

test('a given buffer is taken again for its size; views, small and huge buffers are not kept', () => {
  const pool = new LayoutPool(CAPACITY);
  const buffer = pool.take(70_000);
  pool.give(buffer);
  assert.equal(pool.heldBytes, 70_000);
  assert.equal(pool.take(70_000), buffer);
  assert.equal(pool.heldBytes, 0);
  pool.give(Buffer.allocUnsafeSlow(80_000).subarray(0, 70_000));
  pool.give(Buffer.allocUnsafeSlow(SMALL_LAYOUT_MAX));
  pool.give(Buffer.allocUnsafeSlow(POOLED_LAYOUT_MAX + 1));
  assert.equal(pool.heldBytes, 0);
});

test('past its capacity the pool keeps what comes back in one turn and drops the oldest sizes at its end', async () => {
  const pool = new LayoutPool(CAPACITY, TURN_CAPACITY);
  for (let i = 0; i < 3; i++) pool.give(Buffer.allocUnsafeSlow(60_000));
  const newer = Array.from({ length: 4 }, () => Buffer.allocUnsafeSlow(50_000));
  for (const buffer of newer) pool.give(buffer);
  assert.equal(pool.heldBytes, 380_000);
  await nextTurn();
  assert.equal(pool.heldBytes, 200_000);
  for (const buffer of newer.reverse()) assert.equal(pool.take(50_000), buffer);
  for (let i = 0; i < 20; i++) pool.give(Buffer.allocUnsafeSlow(60_000));
  assert.ok(pool.heldBytes <= TURN_CAPACITY);
});
