/**
 * A peer that sends a maximal chunk one byte per TCP segment leaves the receiver 65,537 one-byte
 * buffers to join. Taking them must cost about as much as pushing them: `Array.shift()` on a
 * store that large (V8 keeps it in large-object space, where it cannot trim the front) moves the
 * whole rest per buffer, and the join blocked the thread for seconds per chunk, for every
 * connection on it (measured: push 39 ms, take 3.9 s; read by index: take 9 ms).
 *
 * Not a performance measurement but a liveness bound: take against push on the same machine,
 * with a margin of 10× and 250 ms that the quadratic join exceeds a hundredfold.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteQueue } from '../src/shared/session/byte-queue.ts';

const CHUNK = 65537; // a maximal chunk: 2-byte length + 65,535 bytes (protocol.md §9.1)

test('ByteQueue joins a maximal chunk received one byte per read in time linear in the reads', () => {
  const queue = new ByteQueue();
  const pieces = Array.from({ length: 2 * CHUNK }, (_, i) => Buffer.from([i & 0xff]));
  const pushStarted = performance.now();
  for (const piece of pieces) queue.push(piece);
  const pushMs = performance.now() - pushStarted;
  const takeStarted = performance.now();
  const joined = [queue.take(CHUNK), queue.take(CHUNK)];
  const takeMs = performance.now() - takeStarted;
  assert.equal(queue.length, 0);
  assert.deepEqual(Buffer.concat(joined), Buffer.concat(pieces));
  assert.ok(takeMs < 10 * pushMs + 250, `taking 2 × ${CHUNK} one-byte buffers took ${takeMs.toFixed(0)} ms (pushing them ${pushMs.toFixed(0)} ms)`);
});

test('ByteQueue keeps every byte in order while thousands of held buffers are read and more arrive', () => {
  // Thousands of one-to-three-byte buffers held, then read a few bytes at a time while pushes
  // continue: the read part of the store is dropped on the way (past 1024 read slots) without
  // losing or reordering a buffer.
  fc.assert(
    fc.property(fc.integer({ min: 1100, max: 5000 }), fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 5 })), { minLength: 3000, maxLength: 6000 }), (held, steps) => {
      const queue = new ByteQueue();
      const expected: number[] = [];
      let next = 0;
      let read = 0;
      const push = (size: number): void => {
        const piece = Buffer.alloc(size);
        for (let i = 0; i < size; i++, next++) piece[i] = next & 0xff;
        for (const byte of piece) expected.push(byte);
        queue.push(piece);
      };
      for (let i = 0; i < held; i++) push(1 + (i % 3));
      for (const [pushing, size] of steps) {
        if (pushing) push(1 + (size % 3));
        else {
          const n = Math.min(size, queue.length);
          assert.deepEqual([...queue.take(n, size % 2 ? Buffer.alloc(8) : undefined)], expected.slice(read, read + n));
          read += n;
        }
        assert.equal(queue.length, expected.length - read);
      }
      assert.deepEqual([...queue.take(queue.length)], expected.slice(read));
    }),
    { numRuns: 20 },
  );
});
