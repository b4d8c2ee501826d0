/**
 * What ByteQueue hands out stays the caller's: the receive path decrypts a taken chunk in place
 * and the framer hands views of it to the application (`stable`), so no later push (small pushes
 * are copied into an owned 16 KiB tail), take, skip or copy out (`takeInto`) may write into bytes
 * already handed out, and writing into them must not change what the queue hands out next.
 * Pushes straddle the small-push bound (512 B) and fill the tail several times over.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteQueue } from '../src/shared/session/byte-queue.ts';

type Step = { readonly push: number } | { readonly take: number; readonly scratch: boolean } | { readonly skip: number } | { readonly into: number };

/** Steps whose pushes larger than 512 B are rare or absent (`largeWeight`), so the tail fills and a new one starts. */
function steps(largeWeight: number): fc.Arbitrary<Step[]> {
  const step: fc.Arbitrary<Step> = fc.oneof(
    { arbitrary: fc.record({ push: fc.integer({ min: 1, max: 40 }) }), weight: 2 },
    { arbitrary: fc.record({ push: fc.integer({ min: 300, max: 512 }) }), weight: 6 },
    { arbitrary: fc.record({ push: fc.integer({ min: 513, max: 700 }) }), weight: largeWeight },
    { arbitrary: fc.record({ take: fc.nat({ max: 600 }), scratch: fc.boolean() }), weight: 5 },
    { arbitrary: fc.record({ take: fc.nat({ max: 3000 }), scratch: fc.boolean() }), weight: 1 },
    { arbitrary: fc.record({ skip: fc.nat({ max: 20 }) }), weight: 1 },
    { arbitrary: fc.record({ into: fc.nat({ max: 20 }) }), weight: 1 },
  );
  return fc.array(step, { minLength: 100, maxLength: 300 });
}

test('bytes taken from a ByteQueue and then overwritten by the caller are neither changed by later operations nor seen in later takes', () => {
  fc.assert(
    fc.property(fc.constantFrom(0, 1, 3).chain(steps), fc.integer({ min: 1, max: 250 }), (plan, seed) => {
      const queue = new ByteQueue();
      const scratch = Buffer.alloc(4096);
      let counter = seed;
      let expected = Buffer.alloc(0);
      // Views handed out (not the scratch), each overwritten with a mark after it was checked.
      const handedOut: Array<{ view: Buffer; mark: number }> = [];
      for (const s of plan) {
        if ('push' in s) {
          const data = Buffer.alloc(s.push);
          for (let i = 0; i < data.length; i++) data[i] = counter++ & 0xff;
          queue.push(data);
          expected = Buffer.concat([expected, data]);
        } else if ('skip' in s) {
          const n = Math.min(s.skip, queue.length);
          queue.skip(n);
          expected = expected.subarray(n);
        } else if ('into' in s) {
          const target = Buffer.alloc(Math.min(s.into, queue.length));
          queue.takeInto(target);
          assert.deepEqual(target, expected.subarray(0, target.length));
          expected = expected.subarray(target.length);
        } else {
          const n = Math.min(s.take, queue.length);
          const out = queue.take(n, s.scratch ? scratch : undefined);
          assert.deepEqual(Buffer.from(out), expected.subarray(0, n), 'a take returned the wrong bytes');
          expected = expected.subarray(n);
          const mark = handedOut.length & 0xff;
          out.fill(mark); // decrypted in place, as the receive path does
          if (out.buffer !== scratch.buffer && n > 0) handedOut.push({ view: out, mark });
        }
        assert.equal(queue.length, expected.length);
        if (handedOut.length % 8 !== 0) continue;
        for (const { view, mark } of handedOut) assert.ok(view.every((byte) => byte === mark), 'bytes handed out were changed by a later operation');
      }
      for (const { view, mark } of handedOut) assert.ok(view.every((byte) => byte === mark), 'bytes handed out were changed by a later operation');
      const rest = Buffer.from(queue.take(queue.length));
      assert.deepEqual(rest, expected, 'the bytes left differ from those pushed');
    }),
    { numRuns: 200 },
  );
});
