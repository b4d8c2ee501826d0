/**
 * The vectors of test/vectors/peer-messages.json (TezEdge's message tests, Octez's layouts and
 * point lists): valid ones decode to the expected kind and fields and re-encode to the same bytes;
 * invalid ones fail with the Data_encoding reason at the named field, never another error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodingError, peerMessageCodec, type Json } from '../src/messages/index.ts';
import { invalidVectors, largeVectors, validVectors, type PeerMessageVector } from './helpers/peer-message-vectors.ts';

/** The first `level` anywhere in a JSON form. */
function firstLevel(json: Json): Json | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  if (!Array.isArray(json) && 'level' in json) return json['level'];
  for (const value of Object.values(json)) {
    const level = firstLevel(value);
    if (level !== undefined) return level;
  }
  return undefined;
}

function checkValid(vector: PeerMessageVector): void {
  const message = peerMessageCodec.decodeFramed(vector.bytes);
  const json = peerMessageCodec.toJson(message) as { [field: string]: Json };
  for (const [field, expected] of Object.entries(vector.expect ?? {})) {
    assert.deepEqual(field === 'level' ? firstLevel(json) : json[field], expected, field);
  }
  const expected = vector.reencoded ?? vector.bytes;
  assert.deepEqual(peerMessageCodec.encodeFramed(message), expected);
  assert.deepEqual(peerMessageCodec.encode(peerMessageCodec.decode(vector.bytes.subarray(4))), expected.subarray(4));
}

function checkInvalid(vector: PeerMessageVector): void {
  assert.throws(
    () => peerMessageCodec.decodeFramed(vector.bytes),
    (error: unknown) => {
      assert.ok(error instanceof DecodingError, `${String(error)}`);
      assert.equal(error.reason, vector.reason);
      assert.equal(error.path, vector.path ?? undefined);
      return true;
    },
  );
}

test('every vector names its source repository, commit and path', () => {
  for (const vector of [...validVectors, ...invalidVectors, ...largeVectors()]) {
    assert.match(vector.source.repo, /^(tezedge\/tezedge|mavryk-network\/mavryk-protocol)$/, vector.name);
    assert.match(vector.source.commit, /^[0-9a-f]{40}$/, vector.name);
    assert.ok(vector.source.path.length > 0, vector.name);
  }
});

for (const vector of validVectors) {
  test(`valid: ${vector.name}`, () => checkValid(vector));
}

for (const vector of invalidVectors) {
  test(`invalid: ${vector.name} (${vector.reason})`, () => checkInvalid(vector));
}

for (const vector of largeVectors()) {
  test(`megabyte bound: ${vector.name}${vector.reason === null ? '' : ` (${vector.reason})`}`, () => {
    if (vector.reason === null) checkValid(vector);
    else checkInvalid(vector);
  });
}
