/**
 * W4's server (bench/load/system-p2p.ts in `idle` mode): the sharded pool's shards answer memory
 * probes, so the live bytes of every thread are counted; the inline pool has only main's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { p2pAdapter } from '../bench/load/system-p2p.ts';
import { baseParams, type LoadOptions } from '../bench/load/workload.ts';

const options: LoadOptions = { quick: true, repeats: 1, seconds: 1, warmup: 1, echoConnections: 1, memoryConnections: 1, ingestMessages: 1, inFlight: 1, workers: 2, messageSize: 100, bulkMessageSize: 100 };

for (const system of ['p2p-inline', 'p2p-sharded'] as const) {
  test(`${system}: the W4 server reports ${system === 'p2p-sharded' ? "each shard's" : 'no shard'} heap used + ArrayBuffers`, async () => {
    const server = await p2pAdapter(system).startServer({ ...baseParams(options), mode: 'idle' }, 'idle');
    try {
      if (system === 'p2p-inline') {
        assert.equal(server.shardLiveBytes, undefined);
        return;
      }
      const shards = await server.shardLiveBytes!();
      assert.equal(shards.length, 2);
      assert.ok(shards.every((bytes) => Number.isFinite(bytes) && bytes > 0), shards.join(', '));
    } finally {
      await server.close();
    }
  });
}
