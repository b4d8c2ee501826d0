/**
 * The data-plane contract (src/shared/shard/records.ts): every record kind decodes to what was
 * encoded, and bodies and layouts cut into records join back byte for byte, layouts only at
 * chunk boundaries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DecodingError, RejectedByNackError } from '../src/shared/errors.ts';
import { HEADER_LENGTH } from '../src/shared/session/chunk-layout.ts';
import { encodeFramedMessage } from '../src/shared/session/encoded-message.ts';
import {
  BROADCAST_ID,
  RECORD,
  SHARD_WIDE_ID,
  decodeClose,
  decodeTargets,
  decodeCredit,
  decodeEnded,
  decodeWritten,
  encodeClose,
  encodeCredit,
  encodeEnded,
  encodeWritten,
  encodeTransferred,
  sendBody,
  sendLayout,
  sendTargets,
  transferredBytes,
  type RecordKind,
} from '../src/shared/shard/records.ts';
import { WRITTEN_REPORT_BYTES, WrittenReports, forEachWrittenReport } from '../src/shared/shard/written-reports.ts';

test('CREDIT, CLOSE and WRITTEN round-trip', () => {
  fc.assert(
    fc.property(fc.nat(0xffffffff), fc.boolean(), fc.nat(0xffffffff), fc.nat(0xffffffff), (credit, wait, messages, bytes) => {
      assert.equal(decodeCredit(encodeCredit(credit)), credit);
      assert.deepEqual(decodeClose(encodeClose(wait)), { wait, reset: false });
      assert.deepEqual(decodeClose(encodeClose(wait, true)), { wait, reset: true });
      assert.deepEqual(decodeWritten(encodeWritten({ messages, bytes })), { messages, bytes });
    }),
  );
  assert.equal(decodeCredit(encodeCredit(2 ** 40)), 0xffffffff, 'credit saturates instead of wrapping');
});

test('ENDED carries the typed error, and nothing for a plain close', () => {
  assert.equal(decodeEnded(encodeEnded(undefined)), undefined);
  const nack = decodeEnded(encodeEnded(new RejectedByNackError(3, ['1.2.3.4:9732'])));
  assert.ok(nack instanceof RejectedByNackError);
  assert.equal(nack.motive, 3);
  assert.deepEqual(nack.alternativePoints, ['1.2.3.4:9732']);
  assert.ok(decodeEnded(encodeEnded(new DecodingError('USER_FUNCTION', 'x'))) instanceof DecodingError);
});

test('a MESSAGE_TRANSFERRED / WRITE_TRANSFERRED record names the bytes of its buffer from its offset to the end; any other length or offset is a RangeError, never a view of other bytes', () => {
  fc.assert(
    fc.property(fc.nat(300), fc.nat(8), fc.nat(0xffffffff), fc.nat(0xffffffff), (length, offset, badLength, badOffset) => {
      const buffer = new ArrayBuffer(offset + length);
      new Uint8Array(buffer).fill(7, 0, offset);
      const bytes = transferredBytes(buffer, encodeTransferred(length, offset));
      assert.equal(bytes.buffer, buffer);
      assert.equal(bytes.byteOffset, offset);
      assert.equal(bytes.length, length);
      if (badLength + badOffset !== buffer.byteLength) assert.throws(() => transferredBytes(buffer, encodeTransferred(badLength, badOffset)), RangeError);
      // A short record (the old 4-byte form) reads as offset 0.
      if (offset === 0) assert.equal(transferredBytes(buffer, encodeTransferred(length).subarray(0, 4)).length, length);
      else assert.throws(() => transferredBytes(buffer, encodeTransferred(length).subarray(0, 4)), RangeError);
    }),
  );
});

test('a body cut into MESSAGE_PART records joins back; only the last is MESSAGE_END', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 5000 }), fc.integer({ min: 1, max: 700 }), (body, max) => {
      const records: Array<{ kind: RecordKind; payload: Uint8Array }> = [];
      sendBody((_id, kind, payload) => records.push({ kind, payload: Uint8Array.from(payload) }), 7, body, max);
      assert.deepEqual(Buffer.concat(records.map((r) => r.payload)), Buffer.from(body));
      assert.ok(records.every((r) => r.payload.length <= max));
      assert.deepEqual(records.map((r) => r.kind), [...records.slice(1).map(() => RECORD.MESSAGE_PART), RECORD.MESSAGE_END]);
    }),
  );
});

test('a layout cut into WRITE_PART records splits only between chunks', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 20_000 }), fc.integer({ min: 20, max: 4000 }), fc.integer({ min: 1, max: 3 }), (body, chunk, factor) => {
      const layout = encodeFramedMessage(body, chunk).buffer;
      const max = (chunk + HEADER_LENGTH + 16) * factor;
      const records: Array<{ kind: RecordKind; payload: Buffer }> = [];
      sendLayout((_id, kind, payload) => records.push({ kind, payload: Buffer.from(payload) }), 7, layout, max);
      assert.deepEqual(Buffer.concat(records.map((r) => r.payload)), Buffer.from(layout));
      assert.equal(records.at(-1)?.kind, RECORD.WRITE_END);
      for (const { payload } of records) {
        // Each record is whole chunks: walking the length headers lands exactly on its end.
        let at = 0;
        while (at < payload.length) at += HEADER_LENGTH + payload.readUInt16BE(at);
        assert.equal(at, payload.length);
      }
    }),
  );
});

test('BROADCAST_TO target lists join back to the sorted ids, cut into records of at most max bytes', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 0xffffffff }), { maxLength: 300 }), fc.integer({ min: 8, max: 200 }), (ids, max) => {
      const decoded: number[] = [];
      sendTargets(
        (id, kind, payload) => {
          assert.equal(id, BROADCAST_ID);
          assert.equal(kind, RECORD.BROADCAST_TO);
          assert.ok(payload.length <= max);
          decodeTargets(payload, decoded);
        },
        ids,
        max,
      );
      assert.deepEqual(decoded, [...ids].sort((a, b) => a - b));
    }),
  );
  // Dense ids (one shard's share of a pool-wide counter) take one byte each.
  let bytes = 0;
  sendTargets((_id, _kind, payload) => (bytes += payload.length), Array.from({ length: 500 }, (_, i) => 1 + 2 * i), 1 << 16);
  assert.equal(bytes, 500);
  assert.throws(() => decodeTargets(Uint8Array.of(0x80), []), RangeError);
});

test('WRITTEN_BATCH reports of many connections come back in order, cut into records of at most max bytes', () => {
  const report = fc.record({ id: fc.integer({ min: 1, max: 0xffffffff }), messages: fc.nat(0xffffffff), bytes: fc.nat(0xffffffff) });
  fc.assert(
    fc.property(fc.array(report, { maxLength: 300 }), fc.integer({ min: 1, max: 200 }), (reports, max) => {
      const batch = new WrittenReports();
      for (const r of reports) batch.add(r.id, r.messages, r.bytes);
      const records: Array<{ id: number; kind: RecordKind; payload: Uint8Array }> = [];
      // twice: a flush empties the batch
      for (let i = 0; i < 2; i++) batch.flush((id, kind, payload) => records.push({ id, kind, payload: Uint8Array.from(payload) }), max);
      const back: typeof reports = [];
      for (const r of records) {
        assert.equal(r.id, SHARD_WIDE_ID);
        assert.equal(r.kind, RECORD.WRITTEN_BATCH);
        assert.ok(r.payload.length <= Math.max(max, WRITTEN_REPORT_BYTES) && r.payload.length > 0);
        forEachWrittenReport(r.payload, (id, messages, bytes) => back.push({ id, messages, bytes }));
      }
      assert.deepEqual(back, reports.map((r) => ({ ...r })));
    }),
  );
});
