/**
 * The accepted connection's API (protocol.md §9.4): queues and backpressure, closing, encoded messages,
 * cancellation, statistics, codecs, and the memory bounds a peer runs into.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { msgpackCodec } from '../src/main/codecs.ts';
import { connectedPair, settle } from './support/fixtures.ts';

const KiB = 1024;

test('a message above maxMessageSize is refused with DECODING_ERROR (SIZE_LIMIT_EXCEEDED), then CONNECTION_CLOSED', async () => {
  const pair = await connectedPair({ server: { maxMessageSize: 1024 } });
  try {
    await pair.client.write(Buffer.alloc(500));
    await pair.client.write(Buffer.alloc(2000));
    assert.equal((await pair.server.read()).size, 504);
    const oversized = await settle(pair.server.read());
    assert.equal(!oversized.ok && oversized.error.code, 'DECODING_ERROR');
    assert.equal(!oversized.ok && (oversized.error as unknown as { reason: string }).reason, 'SIZE_LIMIT_EXCEEDED');
    const after = await settle(pair.server.read());
    assert.equal(!after.ok && after.error.code, 'CONNECTION_CLOSED');
  } finally {
    await pair.close();
  }
});

test('a peer that never reads: writeNow starts returning false, write waits, and both stay bounded', async () => {
  const pair = await connectedPair({ client: { outgoingMessageQueueSize: 256 * KiB }, server: { incomingMessageQueueSize: 256 * KiB } });
  try {
    const message = Buffer.alloc(64 * KiB, 1);
    let accepted = 0;
    let refusedInARow = 0;
    // Kernel buffers on loopback absorb a few MiB; past them and both queues, writeNow refuses
    // for good: 20 refusals 5 ms apart means nothing drains any more.
    for (let i = 0; i < 3000 && refusedInARow < 20; i++) {
      if (pair.client.writeNow(message)) {
        accepted++;
        refusedInARow = 0;
      } else {
        refusedInARow++;
        await sleep(5);
      }
    }
    assert.equal(refusedInARow, 20, `writeNow never settled into refusing (${accepted} accepted)`);
    // Received but unread: the server paused its socket, so it holds about its queue bound.
    const received = pair.server.stat().totalRecv;
    assert.ok(received < accepted * message.length, 'the reader did not take everything');
    const blocked = pair.client.write(message);
    const state = await Promise.race([blocked.then(() => 'resolved'), sleep(200).then(() => 'pending')]);
    assert.equal(state, 'pending', 'write waits while the queue is full');
    // Once the consumer reads, everything flows: the blocked write completes.
    for (let i = 0; i <= accepted; i++) await pair.server.read();
    await blocked;
  } finally {
    await pair.close();
  }
});

test('a writer blocked on a full queue gets CONNECTION_CLOSED when the connection closes', async () => {
  const pair = await connectedPair({ client: { outgoingMessageQueueSize: 64 * KiB } });
  try {
    const message = Buffer.alloc(64 * KiB);
    const pending: ReturnType<typeof settle<void>>[] = [];
    for (let i = 0; i < 400; i++) pending.push(settle(pair.client.writeSync(message)));
    await sleep(50);
    await pair.client.close();
    const outcomes = await Promise.all(pending);
    const failed = outcomes.filter((o) => !o.ok);
    assert.ok(failed.length > 0, 'some writes were still queued');
    for (const o of failed) assert.equal(!o.ok && o.error.code, 'CONNECTION_CLOSED');
  } finally {
    await pair.close();
  }
});

test('a peer that vanishes mid-write: the writer gets CONNECTION_CLOSED, no crash, no hang', async () => {
  const pair = await connectedPair();
  try {
    const big = Buffer.alloc(1024 * KiB);
    const writer = settle(
      (async () => {
        for (let i = 0; i < 1000; i++) await pair.client.write(big);
      })(),
    );
    await sleep(20);
    await pair.server.close();
    const outcome = await writer;
    assert.equal(!outcome.ok && outcome.error.code, 'CONNECTION_CLOSED');
  } finally {
    await pair.close();
  }
});

test('close({ wait: true }) sends everything queued before closing; the reader then gets CONNECTION_CLOSED', async () => {
  const pair = await connectedPair();
  try {
    const count = 200;
    for (let i = 0; i < count; i++) assert.equal(pair.client.writeNow(Buffer.from(`message ${i}`)), true);
    await pair.client.close({ wait: true, reason: 'test done' });
    assert.deepEqual(pair.client.closingReasons, ['test done']);
    for (let i = 0; i < count; i++) assert.equal(Buffer.from((await pair.server.read()).message).toString(), `message ${i}`);
    const end = await settle(pair.server.read());
    assert.equal(!end.ok && end.error.code, 'CONNECTION_CLOSED');
    const late = await settle(pair.client.write(Buffer.from('late')));
    assert.equal(!late.ok && late.error.code, 'CONNECTION_CLOSED');
    assert.throws(() => pair.client.writeNow(Buffer.from('late')), { code: 'CONNECTION_CLOSED' });
  } finally {
    await pair.close();
  }
});

test('encode once, copy per connection, writeEncodedNow; an encoded message cannot be written twice', async () => {
  const a = await connectedPair();
  const b = await connectedPair();
  try {
    const encoded = a.client.encode(Buffer.from('broadcast'));
    const copy = a.client.copyEncodedMessage(encoded);
    assert.equal(a.client.writeEncodedNow(encoded), true);
    assert.equal(b.client.writeEncodedNow(copy), true);
    assert.throws(() => a.client.writeEncodedNow(encoded), { code: 'ENCODED_MESSAGE_CONSUMED' });
    assert.equal(Buffer.from((await a.server.read()).message).toString(), 'broadcast');
    assert.equal(Buffer.from((await b.server.read()).message).toString(), 'broadcast');
  } finally {
    await a.close();
    await b.close();
  }
});

test('read can be aborted (ABORTED) or timed out (TIMEOUT), and the connection stays usable', async () => {
  const pair = await connectedPair();
  try {
    const controller = new AbortController();
    const pending = settle(pair.server.read({ signal: controller.signal }));
    controller.abort();
    const aborted = await pending;
    assert.equal(!aborted.ok && aborted.error.code, 'ABORTED');
    const timedOut = await settle(pair.server.read({ signal: AbortSignal.timeout(30) }));
    assert.equal(!timedOut.ok && timedOut.error.code, 'TIMEOUT');
    assert.equal(pair.server.readNow(), undefined);
    await pair.client.writeSync(Buffer.from('still here'));
    await sleep(20);
    const now = pair.server.readNow();
    assert.equal(now && Buffer.from(now.message).toString(), 'still here');
  } finally {
    await pair.close();
  }
});

test('stat counts every wire byte; equals, toString and metadata accessors', async () => {
  const pair = await connectedPair();
  try {
    const before = pair.client.stat();
    // Handshake already counted: connection message + metadata chunk + Ack chunk each way.
    assert.ok(before.totalSent >= 92 + 18 + 19, String(before.totalSent));
    await pair.client.writeSync(Buffer.alloc(1000));
    await pair.server.read();
    const after = pair.client.stat();
    assert.equal(after.totalSent - before.totalSent, 1000 + 4 + 18);
    assert.equal(pair.server.stat().totalRecv, after.totalSent);
    assert.ok(pair.client.equals(pair.client));
    assert.ok(!pair.client.equals(pair.server));
    assert.match(pair.client.toString(), /^Connection#\d+\(to id\w+ at 127\.0\.0\.1:\d+\)$/);
    assert.equal(pair.client.privateNode, false);
    assert.equal(pair.client.remoteMetadata, undefined);
  } finally {
    await pair.close();
  }
});

test('msgpack codec carries JS values; an encoder failure is ENCODING_ERROR', async () => {
  const pair = await connectedPair<unknown>({ client: { codec: msgpackCodec() }, server: { codec: msgpackCodec() } });
  try {
    const value = { kind: 'hello', n: 42, list: [1, 'two', null], bytes: Buffer.from([1, 2, 3]) };
    await pair.client.write(value);
    assert.deepEqual((await pair.server.read()).message, value);
    const bad = await settle(pair.client.write(10n ** 400n));
    assert.equal(!bad.ok && bad.error.code, 'ENCODING_ERROR');
  } finally {
    await pair.close();
  }
});

for (const how of ['without a signal', 'with a signal'] as const) {
  test(`a waiting read (${how}) given an undecodable message rejects with DECODING_ERROR, and the message after it is dropped: CONNECTION_CLOSED`, async () => {
    // Both messages reach the server in one socket read, so it frames the second while the first
    // fails to decode: a waiting read decodes as the session delivers, and must drop it all the same.
    const refusing = { encode: (message: Uint8Array) => message, decode: (body: Buffer): Uint8Array => {
      if (body[0] === 0xff) throw new Error('refused body');
      return body;
    } };
    const pair = await connectedPair({ server: { codec: refusing } });
    try {
      const options = how === 'with a signal' ? { signal: new AbortController().signal } : undefined;
      const first = settle(pair.server.read(options));
      assert.equal(pair.client.writeNow(Buffer.from([0x01])), true);
      const a = await first;
      assert.ok(a.ok && a.value.message[0] === 0x01);
      const second = settle(pair.server.read(options)); // waits: nothing is queued
      assert.equal(pair.client.writeNow(Buffer.from([0xff])), true);
      assert.equal(pair.client.writeNow(Buffer.from([0x02])), true);
      const b = await second;
      assert.equal(!b.ok && b.error.code, 'DECODING_ERROR');
      const after = await settle(pair.server.read());
      assert.equal(!after.ok && after.error.code, 'CONNECTION_CLOSED');
      assert.deepEqual(pair.server.messageCounts, { sent: 0, received: 1 });
    } finally {
      await pair.close();
    }
  });
}
