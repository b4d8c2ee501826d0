/**
 * ConsumerPump under a visitor that throws: the error goes to `onError`, nothing escapes into the
 * event loop, and a producer waiting for space still hears that space was freed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { ConsumerPump } from '../src/shared/ring/pump.ts';
import { createRingBuffer, RingConsumer, RingProducer } from '../src/shared/ring/record-ring.ts';

test('a visitor that throws on the last record of a full ring does not skip the space signal', async () => {
  const buffer = createRingBuffer(1024);
  const producer = new RingProducer(buffer);
  const payload = new Uint8Array(64);
  let written = 0;
  while (producer.tryWrite(1, 1, payload)) written++;
  assert.ok(written > 1);
  // The producer now waits for room for one more record.
  assert.equal(producer.prepareToWaitForSpace(payload.length), true);
  const errors: unknown[] = [];
  let spaces = 0;
  let visited = 0;
  const pump = new ConsumerPump(new RingConsumer(buffer), {
    visit: () => {
      visited++;
      if (visited === written) throw new Error('visitor bug');
    },
    onSpace: () => spaces++,
    onError: (error) => errors.push(error),
  });
  pump.wake(); // must not throw
  await sleep(20);
  assert.equal(visited, written);
  assert.equal(errors.length, 1);
  assert.ok(spaces >= 1, 'the waiting producer was never told about the freed space');
  assert.equal(producer.tryWrite(1, 1, payload), true);
});

test('a visitor that throws on every record: all are consumed, each error reported, nothing thrown', async () => {
  const buffer = createRingBuffer(1024);
  const producer = new RingProducer(buffer);
  for (let i = 0; i < 10; i++) assert.equal(producer.tryWrite(1, 1, new Uint8Array(8)), true);
  const errors: unknown[] = [];
  const pump = new ConsumerPump(new RingConsumer(buffer), {
    visit: () => {
      throw new Error('always');
    },
    onSpace: () => undefined,
    onError: (error) => errors.push(error),
  });
  pump.wake();
  await sleep(50);
  assert.equal(errors.length, 10);
  assert.equal(pump.records >= 10, true);
});
