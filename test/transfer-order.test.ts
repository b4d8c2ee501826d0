/**
 * TransferOrder (src/shared/shard/transfer-order.ts): a transferred buffer keeps the place its
 * marking record gives it among the connection's records, whichever of the two arrives first,
 * and other connections are never held up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TransferOrder } from '../src/shared/shard/transfer-order.ts';

const MARK = 14;
const PLAIN = 11;

test('records and transferred buffers come out in record order, whatever order buffers arrive in', () => {
  fc.assert(
    fc.property(
      // Per step: a plain record or a marking one, on connection 1 or 2; and where the buffer of
      // each marking record arrives: 0 = before its record, k > 0 = after k more steps (or the end).
      fc.array(fc.record({ marked: fc.boolean(), id: fc.constantFrom(1, 2), delay: fc.nat(4) }), { maxLength: 40 }),
      (steps) => {
        const seen: string[] = [];
        const order = new TransferOrder(MARK, (id, kind, payload, buffer) => {
          if (kind === MARK) {
            assert.ok(buffer, 'a marking record is handled with its buffer');
            seen.push(`${id}:${new Uint8Array(buffer)[0]}`);
          } else seen.push(`${id}:${payload[0]}`);
        });
        const due: Array<{ at: number; id: number; value: number }> = [];
        const expected = new Map<number, string[]>([[1, []], [2, []]]);
        steps.forEach((step, index) => {
          const value = index % 256;
          expected.get(step.id)!.push(`${step.id}:${value}`);
          if (step.marked) {
            // Buffers of one connection arrive in the order they were posted (one port, FIFO).
            const pending = due.filter((d) => d.id === step.id);
            const at = Math.max(index + step.delay, ...pending.map((d) => d.at));
            if (at === index && pending.length === 0) order.arrived(step.id, Uint8Array.of(value).buffer);
            else due.push({ at, id: step.id, value });
            order.visit(step.id, MARK, Uint8Array.of(0));
          } else order.visit(step.id, PLAIN, Uint8Array.of(value));
          // Buffers are posted in record order per connection: deliver those due, in order.
          for (const id of [1, 2]) {
            while (due.some((d) => d.id === id)) {
              const next = due.find((d) => d.id === id)!;
              if (next.at > index) break;
              due.splice(due.indexOf(next), 1);
              order.arrived(id, Uint8Array.of(next.value).buffer);
            }
          }
        });
        for (const late of due.splice(0)) order.arrived(late.id, Uint8Array.of(late.value).buffer);
        for (const id of [1, 2]) assert.deepEqual(seen.filter((s) => s.startsWith(`${id}:`)), expected.get(id));
      },
    ),
  );
});

test('a forgotten connection drops what waited; a parked one does not hold up another', () => {
  const seen: string[] = [];
  const order = new TransferOrder(MARK, (id, kind, payload) => seen.push(`${id}:${kind}:${payload[0]}`));
  order.visit(1, MARK, Uint8Array.of(9));
  order.visit(1, PLAIN, Uint8Array.of(1));
  order.visit(2, PLAIN, Uint8Array.of(2));
  assert.deepEqual(seen, ['2:11:2']);
  order.forget(1);
  order.arrived(1, new ArrayBuffer(1));
  assert.deepEqual(seen, ['2:11:2'], 'nothing replayed for a forgotten connection');
});

test('waiting(id) holds exactly while a marking record waits for its buffer (main parks batched bodies by it)', () => {
  const seen: string[] = [];
  const order = new TransferOrder(MARK, (id, kind, payload) => seen.push(`${id}:${kind}:${payload[0] ?? '-'}`));
  assert.equal(order.waiting(1), false);
  order.visit(1, MARK, Uint8Array.of(0));
  assert.equal(order.waiting(1), true);
  assert.equal(order.waiting(2), false, 'another connection is not held up');
  order.visit(1, PLAIN, Uint8Array.of(7)); // what main does with a batched body while waiting
  assert.deepEqual(seen, []);
  order.arrived(1, new ArrayBuffer(1));
  assert.equal(order.waiting(1), false);
  assert.deepEqual(seen, [`1:${MARK}:0`, `1:${PLAIN}:7`]);
});
