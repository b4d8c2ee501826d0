import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DecodingError, EncodingError } from '../src/shared/errors.ts';
import type { DecodingReason } from '../src/shared/errors.ts';
import {
  CONNECTION_MESSAGE_MIN_BODY,
  connectionMessageBodyLength,
  decodeConnectionMessageBody,
  encodeConnectionMessage,
} from '../src/shared/wire/connection-message.ts';
import type { ConnectionMessage } from '../src/shared/wire/connection-message.ts';
import { MAVRYK_MAINNET } from '../src/shared/wire/network-version.ts';

const vectors = JSON.parse(readFileSync(new URL('./vectors/handshake.json', import.meta.url), 'utf8')) as {
  identities: Record<'A' | 'B', { public_key: string; proof_of_work_stamp: string }>;
  session: { connection_message_A: string; connection_message_B: string };
};

function throwsDecoding(fn: () => unknown, reason: DecodingReason): void {
  assert.throws(fn, (err: unknown) => err instanceof DecodingError && err.reason === reason);
}

const hex = (h: string): Buffer => Buffer.from(h, 'hex');
const wireA = hex(vectors.session.connection_message_A);
const wireB = hex(vectors.session.connection_message_B);

function sample(overrides: Partial<ConnectionMessage> = {}): ConnectionMessage {
  return {
    port: 9732,
    publicKey: Buffer.alloc(32, 1),
    proofOfWorkStamp: Buffer.alloc(24, 2),
    messageNonce: Buffer.alloc(24, 3),
    version: { chainName: MAVRYK_MAINNET, distributedDbVersion: 2, p2pVersion: 1 },
    ...overrides,
  };
}

test('connection_message_A decodes to the protocol.md §1.3 fields and re-encodes byte-exact', () => {
  assert.equal(wireA.length, 106);
  assert.equal(connectionMessageBodyLength(wireA), 104);
  const m = decodeConnectionMessageBody(wireA.subarray(2));
  assert.equal(m.port, 9733);
  assert.equal(m.publicKey.toString('hex'), vectors.identities.A.public_key);
  assert.equal(m.proofOfWorkStamp.toString('hex'), vectors.identities.A.proof_of_work_stamp);
  assert.equal(m.messageNonce.toString('hex'), 'aa'.repeat(24));
  assert.deepEqual(m.version, { chainName: 'MAVRYK_MAINNET', distributedDbVersion: 2, p2pVersion: 1 });
  assert.ok(encodeConnectionMessage(m).equals(wireA));
});

test('connection_message_B decodes to the protocol.md §1.3 fields and re-encodes byte-exact', () => {
  const m = decodeConnectionMessageBody(wireB.subarray(2));
  assert.equal(m.port, 9732);
  assert.equal(m.publicKey.toString('hex'), vectors.identities.B.public_key);
  assert.equal(m.proofOfWorkStamp.toString('hex'), vectors.identities.B.proof_of_work_stamp);
  assert.equal(m.messageNonce.toString('hex'), 'bb'.repeat(24));
  assert.deepEqual(m.version, { chainName: 'MAVRYK_MAINNET', distributedDbVersion: 2, p2pVersion: 1 });
  assert.ok(encodeConnectionMessage(m).equals(wireB));
});

test('decoded fixed fields are copies: reusing the input buffer does not change them', () => {
  const body = Buffer.from(wireA.subarray(2));
  const m = decodeConnectionMessageBody(body);
  body.fill(0xee);
  assert.equal(m.publicKey.toString('hex'), vectors.identities.A.public_key);
  assert.equal(m.proofOfWorkStamp.toString('hex'), vectors.identities.A.proof_of_work_stamp);
  assert.equal(m.messageNonce.toString('hex'), 'aa'.repeat(24));
  assert.equal(m.version.chainName, 'MAVRYK_MAINNET');
});

test('port 0 on the wire is undefined, and undefined or 0 is written as 0 (protocol.md §1.1)', () => {
  for (const port of [undefined, 0]) {
    const wire = encodeConnectionMessage(sample({ port }));
    assert.equal(wire.readUInt16BE(2), 0);
    assert.equal(decodeConnectionMessageBody(wire.subarray(2)).port, undefined);
  }
  for (const port of [1, 9732, 65535]) {
    assert.equal(decodeConnectionMessageBody(encodeConnectionMessage(sample({ port })).subarray(2)).port, port);
  }
  assert.throws(() => encodeConnectionMessage(sample({ port: 65536 })), EncodingError);
  assert.throws(() => encodeConnectionMessage(sample({ port: -1 })), EncodingError);
});

test('a trailing byte after the body is EXTRA_BYTES (no extension fields, protocol.md §1.1)', () => {
  throwsDecoding(() => decodeConnectionMessageBody(Buffer.concat([wireA.subarray(2), Buffer.from([0])])), 'EXTRA_BYTES');
});

test('every truncation of the body is NOT_ENOUGH_DATA', () => {
  const body = wireA.subarray(2);
  for (let n = 0; n < body.length; n++) {
    throwsDecoding(() => decodeConnectionMessageBody(body.subarray(0, n)), 'NOT_ENOUGH_DATA');
  }
});

test('a chain name length running past the body is NOT_ENOUGH_DATA, a top-bit one INVALID_INT', () => {
  const body = Buffer.from(wireA.subarray(2));
  body.writeUInt32BE(15, 82); // one more than "MAVRYK_MAINNET"
  throwsDecoding(() => decodeConnectionMessageBody(body), 'NOT_ENOUGH_DATA');
  body.writeUInt32BE(13, 82); // one less: the versions end one byte early
  throwsDecoding(() => decodeConnectionMessageBody(body), 'EXTRA_BYTES');
  body.writeUInt32BE(0x8000_0000, 82);
  throwsDecoding(() => decodeConnectionMessageBody(body), 'INVALID_INT');
});

test('the minimal body is 90 bytes (empty chain name)', () => {
  const wire = encodeConnectionMessage(sample({ version: { chainName: '', distributedDbVersion: 0, p2pVersion: 0 } }));
  assert.equal(CONNECTION_MESSAGE_MIN_BODY, 90);
  assert.equal(wire.length, 2 + CONNECTION_MESSAGE_MIN_BODY);
  assert.equal(wire.readUInt16BE(0), 90);
  assert.equal(decodeConnectionMessageBody(wire.subarray(2)).version.chainName, '');
});

test('a body of 65535 bytes encodes, 65536 or more is EncodingError', () => {
  const maxName = 'x'.repeat(65535 - CONNECTION_MESSAGE_MIN_BODY);
  const wire = encodeConnectionMessage(sample({ version: { chainName: maxName, distributedDbVersion: 0, p2pVersion: 0 } }));
  assert.equal(wire.readUInt16BE(0), 65535);
  assert.equal(decodeConnectionMessageBody(wire.subarray(2)).version.chainName, maxName);
  for (const extra of [1, 1000]) {
    assert.throws(
      () => encodeConnectionMessage(sample({ version: { chainName: maxName + 'x'.repeat(extra), distributedDbVersion: 0, p2pVersion: 0 } })),
      EncodingError,
    );
  }
});

test('fields of the wrong size are EncodingError', () => {
  assert.throws(() => encodeConnectionMessage(sample({ publicKey: Buffer.alloc(31) })), EncodingError);
  assert.throws(() => encodeConnectionMessage(sample({ proofOfWorkStamp: Buffer.alloc(25) })), EncodingError);
  assert.throws(() => encodeConnectionMessage(sample({ messageNonce: Buffer.alloc(0) })), EncodingError);
});

test('the length prefix needs two bytes', () => {
  throwsDecoding(() => connectionMessageBodyLength(Buffer.from([0])), 'NOT_ENOUGH_DATA');
  assert.equal(connectionMessageBodyLength(Buffer.from([0xff, 0xff, 0x01])), 65535);
});
