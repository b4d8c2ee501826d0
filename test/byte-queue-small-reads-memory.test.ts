/**
 * A peer that sends a chunk one byte per TCP segment: Node hands every read over as its own Buffer
 * (~224 B of JS heap for 1 byte), and ByteQueue held each one until the chunk was complete, ~15 MB
 * per connection for a maximal chunk. Small reads onto a non-empty queue are now copied into an
 * owned buffer, so what the queue holds is about the bytes themselves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ByteQueue } from '../src/shared/session/byte-queue.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heldBytes(): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

test('ByteQueue holding a maximal chunk that came one byte per read costs about its bytes, not a Buffer per byte', (t) => {
  const CHUNK = 65537;
  const queue = new ByteQueue();
  const before = heldBytes();
  queue.push(Buffer.from([0x00, 0x01]));
  // Each read its own Buffer, as a socket gives them.
  for (let i = 2; i < CHUNK; i++) queue.push(Buffer.from([i & 0xff]));
  const growth = heldBytes() - before;
  assert.equal(queue.length, CHUNK);
  // 65,535 Buffers held one by one cost ≥ 5 MB (their objects alone); copied, ~80 KB of tails.
  assert.ok(growth < 2 * 1024 * 1024, `${growth} bytes held for ${CHUNK} bytes`);
  t.diagnostic(`held ${growth} bytes for a ${CHUNK}-byte chunk read one byte at a time (7,984,720 before small reads were copied)`);
  const joined = queue.take(CHUNK);
  for (let i = 0; i < CHUNK; i++) assert.equal(joined[i], i & 0xff, `byte ${i}`);
});
