/**
 * ByteQueue hands out exactly the bytes pushed, in order, whatever the mix of pushes, exact
 * takes, spanning takes, whole-buffer takes, skips and copies out (`takeInto`) (it keeps its front buffer apart from the others:
 * moving the next one to the front and the whole-buffer path must not reorder or lose a byte).
 * And what it hands out stays the caller's: the receive path decrypts a taken chunk in place and
 * the framer hands views of it to the application, so no later push (small pushes are copied
 * into an owned 16 KiB tail), take, skip or copy out may write into bytes already handed out,
 * and writing into them must not change what the queue hands out next.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteQueue } from '../src/shared/session/byte-queue.ts';

type Step = { readonly push: Uint8Array | number } | { readonly take: number; readonly scratch: boolean } | { readonly skip: number } | { readonly into: number };

// Takes mostly smaller than pushes, so several buffers are held at once.
const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.record({ push: fc.uint8Array({ minLength: 0, maxLength: 40 }) }), weight: 2 },
  { arbitrary: fc.record({ take: fc.nat({ max: 30 }), scratch: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ take: fc.nat({ max: 120 }), scratch: fc.boolean() }), weight: 1 },
  // A chunk's header skipped, its tag copied out (the receive path: ChunkOpener.hold).
  { arbitrary: fc.record({ skip: fc.nat({ max: 50 }) }), weight: 1 },
  { arbitrary: fc.record({ into: fc.nat({ max: 50 }) }), weight: 1 },
);

/** Steps whose pushes (sizes) straddle the 512-byte small-push bound; those above it rare or absent (`largeWeight`), so the tail fills and a new one starts. */
function tailSteps(largeWeight: number): fc.Arbitrary<Step[]> {
  const sized: fc.Arbitrary<Step> = fc.oneof(
    { arbitrary: fc.record({ push: fc.integer({ min: 1, max: 40 }) }), weight: 2 },
    { arbitrary: fc.record({ push: fc.integer({ min: 300, max: 512 }) }), weight: 6 },
    { arbitrary: fc.record({ push: fc.integer({ min: 513, max: 700 }) }), weight: largeWeight },
    { arbitrary: fc.record({ take: fc.nat({ max: 600 }), scratch: fc.boolean() }), weight: 5 },
    { arbitrary: fc.record({ take: fc.nat({ max: 3000 }), scratch: fc.boolean() }), weight: 1 },
    { arbitrary: fc.record({ skip: fc.nat({ max: 20 }) }), weight: 1 },
    { arbitrary: fc.record({ into: fc.nat({ max: 20 }) }), weight: 1 },
  );
  return fc.array(sized, { minLength: 100, maxLength: 300 });
}

/**
 * Runs `plan` on a fresh queue, checking every byte handed out against what was pushed; a push
 * given as a size pushes that many bytes of a running counter. `taken` sees each take's result.
 */
function replay(plan: readonly Step[], scratch: Buffer, taken?: (out: Buffer) => void): void {
  const queue = new ByteQueue();
  let counter = 0;
  let expected = Buffer.alloc(0);
  for (const s of plan) {
    if ('push' in s) {
      const data = typeof s.push === 'number' ? Buffer.alloc(s.push) : Buffer.from(s.push);
      if (typeof s.push === 'number') for (let i = 0; i < data.length; i++) data[i] = counter++ & 0xff;
      queue.push(data);
      expected = Buffer.concat([expected, data]);
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
      assert.deepEqual(Buffer.from(out), expected.subarray(0, n), 'a take returned the wrong bytes');
      expected = expected.subarray(n);
      taken?.(out);
    }
    assert.equal(queue.length, expected.length);
    if (queue.length >= 2) assert.equal(queue.peekUInt16BE(), expected.readUInt16BE(0));
  }
  assert.deepEqual(Buffer.from(queue.take(queue.length)), expected, 'the bytes left differ from those pushed');
}

test('ByteQueue returns the pushed bytes in order under any mix of pushes, takes, skips and copies out', () => {
  fc.assert(
    fc.property(fc.array(step, { maxLength: 200 }), (plan) => replay(plan, Buffer.alloc(64))),
    { numRuns: 300 },
  );
});

test('bytes taken from a ByteQueue and then overwritten by the caller are neither changed by later operations nor seen in later takes', () => {
  fc.assert(
    fc.property(fc.constantFrom(0, 1, 3).chain(tailSteps), (plan) => {
      const scratch = Buffer.alloc(4096);
      // Views handed out (not the scratch), each overwritten with its mark, as decrypted in place.
      const handedOut: Array<{ view: Buffer; mark: number }> = [];
      const intact = (): void => {
        for (const { view, mark } of handedOut) assert.ok(view.every((byte) => byte === mark), 'bytes handed out were changed by a later operation');
      };
      replay(plan, scratch, (out) => {
        const mark = handedOut.length & 0xff;
        out.fill(mark);
        if (out.buffer !== scratch.buffer && out.length > 0) handedOut.push({ view: out, mark });
        if (handedOut.length % 8 === 0) intact();
      });
      intact();
    }),
    { numRuns: 200 },
  );
});
