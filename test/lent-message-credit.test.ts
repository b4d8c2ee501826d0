/**
 * The connection contract's accounting of a lent body (message-queues.ts), checked at the seam
 * where both modes meet: what the queues give back to their link as credit, and what they charge
 * to the pending-message budget. A credit batch of one byte makes every credit visible as it is
 * given, so the bound is checked to the byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageQueues } from '../src/main/message-queues.ts';
import type { LinkedQueues, SessionLink } from '../src/main/session-link.ts';
import { PendingMessageBudget } from '../src/shared/session/pending-message-budget.ts';
import { INCOMING_ENTRY_COST } from '../src/shared/session/queue-costs.ts';
import { TrafficStats, type Stat } from '../src/shared/session/traffic-stats.ts';

/** The socket side, reduced to what it is told: credit, closes and memory taken back. */
class RecordingLink implements SessionLink {
  queues!: LinkedQueues;
  credited = 0;
  readonly takenBack: ArrayBuffer[] = [];
  attach(queues: LinkedQueues): void {
    this.queues = queues;
  }
  send(): void {}
  joinBroadcast(): void {}
  credit(bytes: number): void {
    this.credited += bytes;
  }
  close(): void {
    this.queues.onEnded(undefined);
  }
  stat(): Stat {
    return new TrafficStats().snapshot();
  }
  takeBack(memory: ArrayBuffer): void {
    this.takenBack.push(memory);
  }
}

function setUp(): { link: RecordingLink; queues: MessageQueues; budget: PendingMessageBudget } {
  const link = new RecordingLink();
  const budget = new PendingMessageBudget(1 << 20);
  const queues = new MessageQueues(link, { incomingQueueSize: 1, outgoingQueueSize: 1 << 20, maxMessageSize: 1 << 20, pendingBudget: budget });
  return { link, queues, budget };
}

/** A body that is the whole of its own buffer after its prefix, as the framer assembles large ones. */
function ownedBody(length: number): { size: number; body: Buffer; owned: true } {
  const body = Buffer.from(new ArrayBuffer(4 + length), 4, length).fill(length & 0xff);
  return { size: 4 + length, body, owned: true };
}

test('a lent body gives its credit back only when released, to the byte, whichever way it was taken', async () => {
  const { link, queues, budget } = setUp();
  const cost = (size: number): number => size + INCOMING_ENTRY_COST;
  queues.onMessage(ownedBody(5000));
  queues.onMessage(ownedBody(6000));
  queues.onMessage(ownedBody(7000));

  const lent = queues.readLentNow()!;
  assert.equal(link.credited, 0, 'a lent body keeps its credit');
  assert.equal(budget.used, 5004);
  queues.readNow(); // a plain read gives its own credit at once, not the lent one's
  assert.equal(link.credited, cost(6004));
  lent.release();
  assert.equal(link.credited, cost(6004) + cost(5004));
  assert.equal(budget.used, 0);
  lent.release();
  assert.equal(link.credited, cost(6004) + cost(5004), 'a second release gives nothing twice');

  // The next lent read releases the body lent before, as it is called; a waiting one keeps the credit of what it is given.
  const before = link.credited;
  const second = queues.readLentNow()!;
  assert.equal(second.size, 7004);
  assert.equal(link.credited, before);
  const waiting = queues.readLent();
  assert.equal(second.lent, false);
  assert.equal(link.credited, before + cost(7004));
  queues.onMessage(ownedBody(8000));
  const third = await waiting;
  assert.equal(link.credited, before + cost(7004), 'delivered to a waiting lent reader: no credit');
  assert.equal(budget.used, 8004);
  third.release();
  assert.equal(link.credited, before + cost(7004) + cost(8004));
  assert.equal(budget.used, 0);
  // Each owned body's memory went back to the link, detached from the views the reader had.
  assert.deepEqual(link.takenBack.map((memory) => memory.byteLength), [5004, 7004, 8004]);
});

test('the end of the connection drops a held body from the budget; its release after that sends no credit', async () => {
  const { link, queues, budget } = setUp();
  queues.onMessage(ownedBody(5000));
  const lent = queues.readLentNow()!;
  assert.equal(budget.used, 5004);
  await queues.close();
  assert.equal(budget.used, 0);
  assert.equal(lent.body.length, 5000);
  lent.release();
  assert.equal(link.credited, 0);
  assert.equal(budget.used, 0);
});

test('a body that is not the whole of its own buffer is released without detaching or reuse', () => {
  const { link, queues } = setUp();
  const shared = Buffer.alloc(100, 7);
  queues.onMessage({ size: 54, body: shared.subarray(10, 60) });
  const lent = queues.readLentNow()!;
  const view = lent.body;
  lent.release();
  assert.equal(view.length, 50);
  assert.equal(shared.length, 100);
  assert.equal(link.takenBack.length, 0);
});
