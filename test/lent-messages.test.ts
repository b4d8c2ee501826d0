/**
 * Lent reads (`Connection.readLent`, api.md "Lent messages") over real sockets on loopback, in
 * both modes from this one file: the bytes are right across many sizes, a released body cannot be
 * read again and its memory is detached before anything reuses it, a held body stays on the
 * pending-message budget until released, a close while a body is lent, how lent reads mix with
 * `read`, `readNow` and the async iterator, and misuse ends in typed errors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LentMessage } from '../src/main/lent-message.ts';
import { bodyPool } from '../src/shared/session/body-pool.ts';
import { eventually } from './support/budget-attackers.ts';
import { withPair, within } from './support/connected-pair.ts';
import { MODES } from './support/pools.ts';

/** Message `i` of `size` bytes: its bytes depend on both, so a body shown for the wrong message differs. */
function messageBytes(i: number, size: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  for (let k = 0; k < size; k++) bytes[k] = (i * 31 + k * 7) & 0xff;
  return bytes;
}

/** Sizes across every delivery path: empty, batched small bodies, ring parts, transferred and multi-chunk bodies. */
const SIZES = [0, 1, 100, 4095, 4096, 4097, 16_383, 16_384, 65_531, 65_536, 65_540, 100_000, 200_000, 300_000];

function lentOrThrow(lent: LentMessage | undefined): LentMessage {
  assert.ok(lent, 'a message was queued');
  return lent;
}

for (const { name, workers } of MODES) {
  test(`${name}: lent bodies carry each message's bytes across many messages of varied sizes`, async () => {
    await withPair(workers, {}, async (client, server) => {
      const count = 3 * SIZES.length;
      const sent = Array.from({ length: count }, (_, i) => messageBytes(i, SIZES[i % SIZES.length]!));
      const writing = (async () => {
        for (const bytes of sent) await client.write(bytes);
      })();
      for (let i = 0; i < count; i++) {
        const expected = sent[i]!;
        if (i % 7 === 3) {
          // A plain read in between takes the next message and leaves nothing lent behind.
          const { message, size } = await within(server.read(), 10_000, `read ${i}`);
          assert.equal(size, expected.length + 4);
          assert.ok(Buffer.from(message).equals(expected), `message ${i} (read)`);
          continue;
        }
        const lent = await within(server.readLent(), 10_000, `readLent ${i}`);
        assert.equal(lent.size, expected.length + 4, `message ${i}: size`);
        assert.ok(lent.body.equals(expected), `message ${i} of ${expected.length} bytes`);
        // Released three ways: explicitly, by `using`, or by the next lent read.
        if (i % 3 === 0) lent.release();
        else if (i % 3 === 1) {
          using held = lent;
          assert.ok(held.lent);
        }
      }
      await writing;
      assert.equal(server.messageCounts.received, count);
    });
  });

  test(`${name}: a released body cannot be read again, and a large one is detached before its memory is reused`, async () => {
    await withPair(workers, {}, async (client, server) => {
      const first = messageBytes(1, 65_536);
      const second = messageBytes(2, 65_536);
      const third = messageBytes(3, 65_536);
      await client.write(first);
      await client.write(second);
      await client.write(third);
      const a = await within(server.readLent(), 10_000, 'readLent a');
      const view = a.body;
      const slice = a.body.subarray(10, 20);
      assert.ok(view.equals(first));
      a.release();
      assert.equal(a.lent, false);
      assert.throws(() => a.body, { code: 'LENT_MESSAGE_RELEASED', name: 'LentMessageReleasedError' });
      // Every view of the released body reads as empty: never another message's bytes.
      assert.equal(view.length, 0);
      assert.equal(slice.length, 0);
      if (workers === 0) assert.ok(bodyPool.heldBytes >= 65_536 + 4, 'inline: the memory went back to the framer');
      const b = await within(server.readLent(), 10_000, 'readLent b');
      const kept = b.body;
      assert.ok(kept.equals(second));
      // The next lent read ends this lend, even without a release.
      const c = await within(server.readLent(), 10_000, 'readLent c');
      assert.equal(b.lent, false);
      assert.throws(() => b.body, { code: 'LENT_MESSAGE_RELEASED' });
      assert.equal(kept.length, 0);
      assert.ok(c.body.equals(third));
      assert.equal(view.length, 0);
      c.release();
      c.release(); // idempotent
      if (workers === 0) {
        // Inline, the framer assembles the next body of that size into memory a release gave back.
        const held = bodyPool.heldBytes;
        await client.write(messageBytes(4, 65_536));
        const d = await within(server.readLent(), 10_000, 'readLent d');
        assert.ok(d.body.equals(messageBytes(4, 65_536)));
        assert.equal(bodyPool.heldBytes, held - (65_536 + 4));
        d.release();
        assert.equal(bodyPool.heldBytes, held);
      }
    });
  });

  test(`${name}: a held lent body counts against the pending-message budget until released`, async () => {
    await withPair(workers, {}, async (client, server, serverPool) => {
      const size = 65_536;
      await client.write(messageBytes(7, size));
      await client.write(messageBytes(8, 100));
      const lent = await within(server.readLent(), 10_000, 'readLent');
      // Nothing else is in flight once both messages are here: the budget holds exactly the lent body.
      assert.ok(await eventually(() => serverPool.stats().pendingMessageBytes === size + 4, 5000), `pending ${serverPool.stats().pendingMessageBytes}`);
      // A plain read leaves the lent body (and its charge) alone.
      const { message } = await within(server.read(), 10_000, 'read');
      assert.ok(Buffer.from(message).equals(messageBytes(8, 100)));
      assert.ok(lent.body.equals(messageBytes(7, size)));
      assert.equal(serverPool.stats().pendingMessageBytes, size + 4);
      lent.release();
      assert.equal(serverPool.stats().pendingMessageBytes, 0);
    });
  });

  test(`${name}: closing while a body is lent leaves it readable until released and drops its budget charge`, async () => {
    await withPair(workers, {}, async (client, server, serverPool) => {
      const bytes = messageBytes(9, 70_000);
      await client.write(bytes);
      await client.write(messageBytes(10, 10));
      const lent = await within(server.readLent(), 10_000, 'readLent');
      await client.close({ wait: true });
      await within(server.ended, 10_000, 'server ended');
      assert.ok(lent.lent);
      assert.ok(lent.body.equals(bytes), 'still readable after the end');
      assert.equal(serverPool.stats().pendingMessageBytes, 0);
      // What was received before the end is still lent out in order, then the end.
      const last = lentOrThrow(server.readLentNow());
      assert.equal(lent.lent, false);
      assert.ok(last.body.equals(messageBytes(10, 10)));
      last.release();
      await assert.rejects(server.readLent(), { code: 'CONNECTION_CLOSED' });
      assert.throws(() => server.readLentNow(), { code: 'CONNECTION_CLOSED' });
      assert.equal(serverPool.stats().pendingMessageBytes, 0);
    });
  });

  test(`${name}: a lent body held while the async iterator and readNow take the next messages`, async () => {
    await withPair(workers, {}, async (client, server) => {
      for (let i = 0; i < 6; i++) await client.write(messageBytes(20 + i, 20_000 + i));
      const lent = await within(server.readLent(), 10_000, 'readLent');
      assert.ok(await eventually(() => server.readNow() !== undefined, 5000), 'readNow took one');
      let seen = 0;
      for await (const { message } of server) {
        assert.ok(Buffer.from(message).equals(messageBytes(22 + seen, 20_002 + seen)));
        if (++seen === 4) break;
      }
      assert.ok(lent.lent);
      assert.ok(lent.body.equals(messageBytes(20, 20_000)));
      lent.release();
    });
  });

  test(`${name}: misuse of lent reads ends in typed errors`, async () => {
    await withPair(workers, {}, async (client, server) => {
      // An aborted wait: ABORTED, and nothing is lent.
      const controller = new AbortController();
      const waiting = server.readLent({ signal: controller.signal });
      controller.abort();
      await assert.rejects(waiting, { code: 'ABORTED' });
      await assert.rejects(server.readLent({ signal: AbortSignal.abort() }), { code: 'ABORTED' });
      assert.equal(server.readLentNow(), undefined);
      // Two lent reads waiting at once: the first body goes back as the second one comes.
      const first = server.readLent();
      const second = server.readLent();
      await client.write(messageBytes(30, 5000));
      await client.write(messageBytes(31, 5000));
      const a = await within(first, 10_000, 'first');
      const b = await within(second, 10_000, 'second');
      assert.equal(a.lent, false);
      assert.throws(() => a.body, { code: 'LENT_MESSAGE_RELEASED' });
      assert.ok(b.body.equals(messageBytes(31, 5000)));
      b.release();
      assert.throws(() => b.body.length, { code: 'LENT_MESSAGE_RELEASED' });
      await server.close();
      await assert.rejects(server.readLent(), { code: 'CONNECTION_CLOSED' });
    });
  });
}
