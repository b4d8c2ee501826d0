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
