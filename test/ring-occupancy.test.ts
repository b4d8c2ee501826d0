/**
 * Ring occupancy as the metrics read it (`p2p_socket_shard_ring_bytes`): the producer side
 * (Outbox, main → shard) and the consumer side (shard → main) agree on the bytes written and not
 * yet read, records that wait in the outbox's overflow are counted as backlog, not as ring bytes,
 * and both fall back to 0 once the consumer has read everything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordBytes } from '../src/shared/ring/layout.ts';
import { createRingBuffer, RingConsumer } from '../src/shared/ring/record-ring.ts';
import { Outbox } from '../src/shared/shard/outbox.ts';

test('an outbox reports the bytes its consumer has not read, and its overflow as backlog', () => {
  const buffer = createRingBuffer(4096);
  const outbox = new Outbox(buffer, () => {});
  const consumer = new RingConsumer(buffer);
  assert.equal(outbox.usedBytes, 0);
  outbox.send(1, 2, new Uint8Array(100));
  outbox.send(1, 2, new Uint8Array(300));
  const written = recordBytes(100) + recordBytes(300);
  assert.equal(outbox.usedBytes, written);
  assert.equal(consumer.usedBytes, written);
  // Past the ring's room, records wait in order in the overflow.
  for (let i = 0; i < 20; i++) outbox.send(1, 2, new Uint8Array(1000));
  assert.ok(outbox.backlog > 0);
  assert.ok(outbox.usedBytes <= 4096 && outbox.usedBytes > 4096 - recordBytes(1000), `ring full: ${outbox.usedBytes}`);
  let read = 0;
  for (let round = 0; round < 100 && (outbox.backlog > 0 || consumer.usedBytes > 0); round++) {
    read += consumer.read(() => {}, 64);
    outbox.onSpace();
  }
  assert.equal(read, 22);
  assert.equal(outbox.backlog, 0);
  assert.equal(outbox.usedBytes, 0);
  assert.equal(consumer.usedBytes, 0);
});
