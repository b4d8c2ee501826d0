/**
 * `conn.stat()` is a snapshot of the connection's wire counters (protocol.md §12.1), a plain
 * object of its own four fields: the counters themselves live in the transport (which is its own
 * traffic counter) or on the shard, and what a caller does to a snapshot reaches neither the next
 * snapshot nor `pool.stats()`. Both modes, over loopback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Stat } from '../src/shared/session/traffic-stats.ts';
import { connectMany } from './support/connect-many.ts';
import { makePool, MODES } from './support/pools.ts';

for (const { name, workers } of MODES) {
  test(`${name}: conn.stat() is a plain snapshot; writing to it changes no counter`, async () => {
    const server = makePool(workers);
    const client = makePool(workers);
    try {
      const [serverSide, clientSide] = (await connectMany(server, client, 1))[0]!;
      await clientSide.write(Buffer.from('counted'));
      await serverSide.read({ signal: AbortSignal.timeout(5000) });
      for (const conn of [clientSide, serverSide]) {
        const first = conn.stat();
        assert.deepEqual(Object.keys(first).sort(), ['currentInflow', 'currentOutflow', 'totalRecv', 'totalSent']);
        assert.equal(Object.getPrototypeOf(first), Object.prototype);
        assert.ok(first.totalSent > 0 && first.totalRecv > 0);
        const poolBefore = (conn === clientSide ? client : server).stats().io;
        const writable = first as { -readonly [K in keyof Stat]: Stat[K] };
        writable.totalSent = -1;
        writable.totalRecv = 1e12;
        writable.currentInflow = NaN;
        const second = conn.stat();
        assert.notEqual(second, first);
        assert.ok(second.totalSent > 0 && second.totalRecv < 1e12 && Number.isFinite(second.currentInflow), JSON.stringify(second));
        assert.deepEqual((conn === clientSide ? client : server).stats().io.totalSent, poolBefore.totalSent);
      }
    } finally {
      await client.close();
      await server.close();
    }
  });
}
