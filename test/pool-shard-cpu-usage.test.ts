/**
 * `pool.shardCpuUsage()`: each shard thread's own CPU time (bench/scale.ts splits the pool's CPU
 * per message by thread with it). It must be the worker's clock, not main's or the process's.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { echo, makePool } from './support/pools.ts';

function us(usage: NodeJS.CpuUsage | undefined): number {
  assert.ok(usage, 'a live shard answers');
  return usage.user + usage.system;
}

test('shardCpuUsage: one clock per shard thread; it grows on the shard that carries the traffic, not with main-thread work', { timeout: 60_000 }, async () => {
  const server = makePool(2);
  const client = makePool(0, { allowDuplicatePeers: true });
  echo(server);
  try {
    const { port } = await server.listen();
    await server.ready();
    const conn = await client.connect({ host: '127.0.0.1', port });
    const before = await server.shardCpuUsage();
    assert.equal(before.length, 2);
    for (const usage of before) assert.ok(us(usage) > 0, 'a started shard has used some CPU');

    // Main-thread work only: the shards' clocks must not count it.
    // Bounded by main's own CPU clock (200 ms) and by the wall clock (10 s, a loaded machine).
    const mainBefore = process.threadCpuUsage();
    const until = performance.now() + 10_000;
    let mainSpent = 0;
    while (mainSpent < 200_000 && performance.now() < until) {
      for (let i = 0; i < 10_000; i++) Math.sqrt(Math.random());
      mainSpent = us(process.threadCpuUsage(mainBefore));
    }
    const idle = await server.shardCpuUsage();
    const idleGrowth = idle.map((usage, i) => us(usage) - us(before[i]));
    assert.ok(mainSpent >= 200_000, `main burned ${mainSpent} µs`);
    for (const grown of idleGrowth) assert.ok(grown >= 0 && grown < mainSpent / 2, `an idle shard's clock moved ${grown} µs while main burned ${mainSpent} µs`);

    // Traffic through one connection: its shard's clock grows more than the other's.
    const carrier = server.stats().shards.findIndex((shard) => shard.connections === 1);
    assert.ok(carrier >= 0, 'the connection sits on one shard');
    const body = new Uint8Array(1024).fill(7);
    for (let i = 0; i < 2000; i++) {
      await conn.write(body);
      await conn.read();
    }
    const after = await server.shardCpuUsage();
    const growth = after.map((usage, i) => us(usage) - us(idle[i]));
    const other = 1 - carrier;
    assert.ok(growth[carrier]! > growth[other]!, `carrier shard +${growth[carrier]} µs, other shard +${growth[other]} µs`);
    assert.ok(growth[carrier]! > 10_000, `2,000 echoed messages cost the carrier shard only ${growth[carrier]} µs`);
  } finally {
    await client.close();
    await server.close();
  }
});

test('shardCpuUsage: inline pools have no shards', async () => {
  const pool = makePool(0);
  try {
    assert.deepEqual(await pool.shardCpuUsage(), []);
  } finally {
    await pool.close();
  }
});
