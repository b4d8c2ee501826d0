/**
 * Every peer-message kind survives encode → decode → encode byte for byte (also through
 * `encodeInto` a larger buffer, which leaves the bytes around the message alone), and its JSON form
 * converts back to the same bytes, for values generated from the layout declaration itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { peerMessageCodec, peerMessageLayout, type PeerMessage } from '../src/messages/index.ts';
import { arbitraryOf } from './helpers/layout-arbitrary.ts';

const shape = peerMessageLayout(12).shape;
assert.ok(shape.type === 'union');

/** Generated messages of one kind that a node would accept (the few over a size budget are dropped). */
function messagesOf(kind: string): fc.Arbitrary<PeerMessage> {
  const body = (shape as Extract<typeof shape, { type: 'union' }>).cases[kind]!.body;
  return arbitraryOf(body)
    .map((fields) => ({ kind, ...(fields as object) }) as PeerMessage)
    .filter((message) => {
      try {
        peerMessageCodec.encode(message);
        return true;
      } catch {
        return false;
      }
    });
}

test('the declaration has the 24 kinds of the spec', () => {
  assert.equal(Object.keys(shape.cases).length, 24);
});

for (const kind of Object.keys(shape.cases)) {
  test(`${kind}: encode, decode and encode again give the same bytes; the JSON form converts back`, () => {
    fc.assert(
      fc.property(messagesOf(kind), (message) => {
        const bytes = peerMessageCodec.encode(message);
        assert.equal(bytes.readUInt16BE(0), shape.cases[kind]!.tag);
        const decoded = peerMessageCodec.decode(bytes);
        assert.equal(decoded.kind, kind);
        assert.deepEqual(peerMessageCodec.toJson(decoded), peerMessageCodec.toJson(message));
        assert.deepEqual(peerMessageCodec.encode(decoded), bytes);
        const json = JSON.parse(JSON.stringify(peerMessageCodec.toJson(decoded))) as unknown;
        assert.deepEqual(peerMessageCodec.encode(peerMessageCodec.fromJson(json)), bytes);
        const framed = peerMessageCodec.encodeFramed(message);
        assert.equal(framed.readUInt32BE(0), bytes.length);
        assert.deepEqual(framed.subarray(4), bytes);
        assert.deepEqual(peerMessageCodec.encode(peerMessageCodec.decodeFramed(framed)), bytes);
        assert.equal(peerMessageCodec.encodedSize(message), bytes.length);
        const target = new Uint8Array(bytes.length + 5).fill(0xee);
        assert.equal(peerMessageCodec.encodeInto(decoded, target, 3), bytes.length);
        assert.deepEqual(target.subarray(3, 3 + bytes.length), new Uint8Array(bytes));
        assert.deepEqual([...target.subarray(0, 3), ...target.subarray(3 + bytes.length)], [0xee, 0xee, 0xee, 0xee, 0xee]);
      }),
      { numRuns: 150 },
    );
  });
}
