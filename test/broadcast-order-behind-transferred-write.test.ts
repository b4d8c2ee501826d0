/**
 * A broadcast keeps its place among a connection's writes when the write before it is a large
 * layout that crosses to the shard as a transferred buffer (architecture.md §3): the shard parks
 * the connection's later records until that buffer arrives, and a broadcast's records must wait
 * with them. They reached the socket at once instead, before the large message, whenever the
 * shard read the records before the buffer: its ring pump was still busy with earlier records
 * when main wrote them, and main's turn (which posts the buffer at its end) ran long. Both modes
 * from this one file; inline there is no crossing and the order holds by construction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Connection } from '../src/main/connection.ts';
import { connectMany } from './support/connect-many.ts';
import { within } from './support/connected-pair.ts';
import { makePool, MODES } from './support/pools.ts';

type Conn = Connection<Uint8Array, undefined>;

/** Small writes before: enough ring records to keep the shard's pump busy for a while. */
const FLOOD = 20_000;
/** A write large enough to be transferred to the shard (TRANSFER_THRESHOLD is 16 KiB). */
const LARGE = 100_000;

/** Holds this thread's event loop for `ms` (main's turn runs long: its doorbell post waits). */
function blockFor(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}

for (const { name, workers } of MODES) {
  test(`${name}: a broadcast written after a large write reaches the peer after it`, async () => {
    const sender = makePool(workers, { allowDuplicatePeers: true });
    const receiver = makePool(0, { allowDuplicatePeers: true });
    try {
      const [conn, peer]: [Conn, Conn] = (await connectMany(sender, receiver, 1))[0]!;
      const tiny = Buffer.from([1]);
      for (let i = 0; i < FLOOD; i++) assert.ok(conn.writeNow(tiny));
      await nextTurn();
      const large = Buffer.alloc(LARGE, 0x4c);
      const small = Buffer.from('broadcast');
      await conn.write(large);
      assert.deepEqual(sender.broadcast(small, [conn]), { queued: 1, dropped: 0 });
      blockFor(300);
      for (let i = 0; i < FLOOD; i++) assert.equal((await within(peer.read(), 10_000, `tiny ${i}`)).message.length, 1);
      const next = (await within(peer.read(), 10_000, 'after the flood')).message;
      const last = (await within(peer.read(), 10_000, 'the last message')).message;
      assert.equal(next.length, LARGE, `the large write comes first, then the broadcast (got ${next.length} bytes, then ${last.length})`);
      assert.deepEqual(Buffer.from(last), small);
    } finally {
      await Promise.all([receiver.close(), sender.close()]);
    }
  });
}
