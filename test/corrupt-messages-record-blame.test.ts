/**
 * A corrupt MESSAGES record (bodies of many connections under id 0, body-batch.ts) must end the
 * connection whose bodies it was carrying when the damage came: main ends that one connection
 * with a typed ConnectionClosedError (shard-engine.ts) rather than lose its message silently and
 * carry on, or end a connection whose bodies were whole. The decoder names it in its error,
 * whether or not a body of that connection came before the damage; fast-check over where the
 * damage falls.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BodyBatch, forEachBatchedBody } from '../src/shared/shard/body-batch.ts';

/** The connection a decoding error names (body-batch.ts CorruptMessagesRecordError). */
function blamedIn(error: unknown): number | undefined {
  return error instanceof RangeError && 'connection' in error && typeof error.connection === 'number' ? error.connection : undefined;
}

/** One record holding `runs` (connection id, bodies) in order. */
function record(runs: ReadonlyArray<readonly [number, readonly Uint8Array[]]>): Buffer {
  let out: Buffer | undefined;
  const batch = new BodyBatch((_id, _kind, payload) => {
    assert.equal(out, undefined, 'one record');
    out = Buffer.from(payload);
  });
  for (const [id, bodies] of runs) for (const body of bodies) assert.ok(batch.add(id, Buffer.from(body)));
  batch.flush();
  return out!;
}

test('an overlong body right after a connection mark blames that connection, not the one read before', () => {
  const whole = record([
    [3, [Uint8Array.of(1, 2)]],
    [9, [Uint8Array.of(7, 7, 7)]],
  ]);
  // Connection 9's length now runs past the record's end.
  const damaged = Buffer.from(whole);
  damaged.writeUInt32LE(1000, whole.length - 3 - 4);
  const seen: number[] = [];
  assert.throws(
    () => forEachBatchedBody(damaged, (id) => seen.push(id)),
    (error: unknown) => blamedIn(error) === 9,
  );
  assert.deepEqual(seen, [3], "connection 3's body was whole and delivered");
});

test('a record cut anywhere names the connection whose bytes were cut (or none before the first id)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 4 })), { minLength: 1, maxLength: 5 }),
      fc.nat(),
      (runs, cutSeed) => {
        const whole = record(runs);
        const cut = cutSeed % whole.length;
        // Where each connection's bytes start in the record: the one a cut falls in is to blame.
        const starts: Array<[number, number]> = [];
        forEachBatchedBody(whole, () => undefined); // whole records decode
        let at = 0;
        let last = 0;
        for (const [id, bodies] of runs) {
          if (id !== last) {
            starts.push([at, id]);
            at += 8;
            last = id;
          }
          for (const body of bodies) at += 4 + body.length;
        }
        let blamed = 0;
        for (const [start, id] of starts) if (start + 8 <= cut) blamed = id;
        let thrown: unknown;
        try {
          forEachBatchedBody(whole.subarray(0, cut), () => undefined);
        } catch (error) {
          thrown = error;
        }
        if (thrown === undefined) return; // cut on a body boundary: a shorter valid record
        assert.equal(blamedIn(thrown), blamed, String(thrown));
      },
    ),
  );
});

test('any bytes as a MESSAGES record: bodies within the record, or CorruptMessagesRecordError; never another error', () => {
  const word = fc.oneof(fc.constant(0xffffffff), fc.nat(64), fc.nat());
  const chunk = fc.oneof(
    word.map((w) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(w);
      return b;
    }),
    fc.uint8Array({ maxLength: 12 }).map((u) => Buffer.from(u)),
  );
  fc.assert(
    fc.property(fc.array(chunk, { maxLength: 16 }), (chunks) => {
      const record = Buffer.concat(chunks);
      let covered = 0;
      try {
        forEachBatchedBody(record, (id, body) => {
          assert.ok(id !== 0, 'a body under a real connection id');
          // An empty body is one shared empty buffer, not a view that would keep the record alive.
          if (body.length > 0) {
            assert.equal(body.buffer, record.buffer, 'a view of the record');
            assert.ok(body.byteOffset >= record.byteOffset && body.byteOffset + body.length <= record.byteOffset + record.length, 'inside the record');
          }
          covered += body.length;
        });
      } catch (error) {
        assert.ok(blamedIn(error) !== undefined, `a corrupt-record error, not ${String(error)}`);
      }
      assert.ok(covered <= record.length);
    }),
  );
});
