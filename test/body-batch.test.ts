/**
 * Small received bodies packed into MESSAGES records (src/shared/shard/body-batch.ts) come back
 * byte for byte, in order and under their own connection, whatever mix of connections and sizes
 * (bodies of several connections share records);
 * a record never exceeds BATCH_PAYLOAD_MAX, a body too large for one is refused, and a corrupt
 * record is a RangeError, not a wrong body.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BATCH_PAYLOAD_MAX, BodyBatch, forEachBatchedBody } from '../src/shared/shard/body-batch.ts';
import { RECORD, SHARD_WIDE_ID } from '../src/shared/shard/records.ts';

test('batched bodies come back in order under their connection; records stay under the bound', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({ id: fc.integer({ min: 1, max: 0xffffffff }), body: fc.uint8Array({ maxLength: 1500 }), flush: fc.boolean(), before: fc.nat({ max: 40 }), after: fc.nat({ max: 40 }) }),
        { maxLength: 60 },
      ),
      (writes) => {
        const records: Array<{ id: number; kind: number; payload: Buffer }> = [];
        const batch = new BodyBatch((id, kind, payload) => records.push({ id, kind, payload: Buffer.from(payload) }));
        for (const { id, body, flush, before, after } of writes) {
          // The body where it lies in a larger plaintext (the shard's framer hands it so), or whole.
          if (before === 0 && after === 0) assert.equal(batch.add(id, Buffer.from(body)), true);
          else assert.equal(batch.add(id, Buffer.concat([Buffer.alloc(before, 0xee), body, Buffer.alloc(after, 0xee)]), before, body.length), true);
          if (flush) batch.flush();
        }
        batch.flush();
        assert.equal(batch.empty, true);
        const back: Array<{ id: number; body: Buffer }> = [];
        for (const record of records) {
          assert.equal(record.kind, RECORD.MESSAGES);
          assert.equal(record.id, SHARD_WIDE_ID);
          assert.ok(record.payload.length <= BATCH_PAYLOAD_MAX);
          forEachBatchedBody(record.payload, (id, body) => back.push({ id, body: Buffer.from(body) }));
        }
        assert.deepEqual(back, writes.map(({ id, body }) => ({ id, body: Buffer.from(body) })));
      },
    ),
  );
});

test('a body that cannot fit a record is refused and leaves the batch as it was', () => {
  const records: Buffer[] = [];
  const batch = new BodyBatch((_id, _kind, payload) => records.push(Buffer.from(payload)));
  assert.equal(batch.add(1, Buffer.from('kept')), true);
  assert.equal(batch.add(1, Buffer.alloc(BATCH_PAYLOAD_MAX - 11)), false);
  assert.equal(batch.add(1, Buffer.alloc(BATCH_PAYLOAD_MAX - 12)), true, 'the largest body that fits goes in a record of its own');
  batch.flush();
  assert.equal(records.length, 2);
  assert.equal(records[1]!.length, BATCH_PAYLOAD_MAX);
  const bodies: Array<[number, Buffer]> = [];
  forEachBatchedBody(records[0]!, (id, body) => bodies.push([id, body]));
  assert.deepEqual(bodies, [[1, Buffer.from('kept')]]);
});

test('a truncated or overlong MESSAGES record, or a body before any connection id, is a RangeError', () => {
  const mark = [0xff, 0xff, 0xff, 0xff];
  assert.throws(() => forEachBatchedBody(Buffer.from([...mark, 1, 0]), () => undefined), RangeError);
  assert.throws(() => forEachBatchedBody(Buffer.from([...mark, 1, 0, 0, 0, 1, 0]), () => undefined), RangeError);
  assert.throws(() => forEachBatchedBody(Buffer.from([...mark, 1, 0, 0, 0, 5, 0, 0, 0, 1, 2]), () => undefined), RangeError);
  assert.throws(() => forEachBatchedBody(Buffer.from([1, 0, 0, 0, 9]), () => undefined), RangeError, 'no connection id yet');
  const seen: number[][] = [];
  forEachBatchedBody(Buffer.from([...mark, 3, 0, 0, 0, 0, 0, 0, 0, ...mark, 4, 0, 0, 0, 1, 0, 0, 0, 9, 1, 0, 0, 0, 8]), (id, body) => seen.push([id, ...body]));
  assert.deepEqual(seen, [[3], [4, 9], [4, 8]]);
});
