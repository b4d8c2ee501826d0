/**
 * ByteQueue hands out exactly the bytes pushed, in order, whatever the mix of pushes, exact
 * takes, spanning takes, whole-buffer takes, skips and copies out (`takeInto`) (it keeps its front buffer apart from the others:
 * moving the next one to the front and the whole-buffer path must not reorder or lose a byte).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteQueue } from '../src/shared/session/byte-queue.ts';

type Step = { readonly push: Uint8Array } | { readonly take: number; readonly scratch: boolean } | { readonly skip: number } | { readonly into: number };

// Takes mostly smaller than pushes, so several buffers are held at once.
const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.record({ push: fc.uint8Array({ minLength: 0, maxLength: 40 }) }), weight: 2 },
  { arbitrary: fc.record({ take: fc.nat({ max: 30 }), scratch: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ take: fc.nat({ max: 120 }), scratch: fc.boolean() }), weight: 1 },
  // A chunk's header skipped, its tag copied out (the receive path: ChunkOpener.hold).
  { arbitrary: fc.record({ skip: fc.nat({ max: 50 }) }), weight: 1 },
  { arbitrary: fc.record({ into: fc.nat({ max: 50 }) }), weight: 1 },
);

test('ByteQueue returns the pushed bytes in order under any mix of pushes, takes, skips and copies out', () => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
      const queue = new ByteQueue();
      const scratch = Buffer.alloc(64);
      let expected = Buffer.alloc(0);
      for (const s of steps) {
        if ('push' in s) {
          queue.push(Buffer.from(s.push));
          expected = Buffer.concat([expected, s.push]);
        } else if ('skip' in s) {
          const n = Math.min(s.skip, queue.length);
          queue.skip(n);
          expected = expected.subarray(n);
        } else if ('into' in s) {
          const target = Buffer.alloc(Math.min(s.into, queue.length), 0xee);
          queue.takeInto(target);
          assert.deepEqual(target, expected.subarray(0, target.length));
          expected = expected.subarray(target.length);
        } else {
          const n = Math.min(s.take, queue.length);
          const out = queue.take(n, s.scratch ? scratch : undefined);
          assert.deepEqual(Buffer.from(out), expected.subarray(0, n));
          expected = expected.subarray(n);
        }
        assert.equal(queue.length, expected.length);
        if (queue.length >= 2) assert.equal(queue.peekUInt16BE(), expected.readUInt16BE(0));
      }
    }),
    { numRuns: 300 },
  );
});
