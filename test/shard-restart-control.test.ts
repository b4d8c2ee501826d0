/**
 * Control calls after a shard restart reach the replacement worker. The engine reads Comlink's
 * control methods once per worker (shard-engine.ts `controlMethods`); a killed worker is replaced,
 * and every later call (dial, adopt, accept, stats, drain, shutdown) must go to the new worker,
 * not to the dead one's endpoint, where it would never be answered: a dial would hang until its
 * deadline, and close would wait out the shard's shutdown grace (3 s) before terminating it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from '../src/main/pool.ts';
import { settle } from './support/fixtures.ts';
import { collectText, makePool } from './support/pools.ts';

/** The shard's shutdown grace (shard-engine.ts SHUTDOWN_GRACE_MS): a close that reached no worker takes at least this long. */
const SHUTDOWN_GRACE_MS = 3000;

async function killAndAwaitReplacement(pool: Pool<Uint8Array, undefined>): Promise<void> {
  await pool.ready();
  await pool.killShard(0);
  for (let i = 0; i < 250 && !(pool.stats().shards[0]?.restarts === 1 && pool.stats().shards[0]?.alive); i++) await sleep(20);
  assert.equal(pool.stats().shards[0]?.restarts, 1, 'the shard was replaced');
  await pool.ready();
}

test('sharded: after a shard restart, dial, stats and close({ wait: true }) (drain) reach the new worker', async () => {
  const client = makePool(1, { handshakeTimeout: 5000 });
  const server = makePool(0);
  const { received, ended } = collectText(server);
  try {
    const { port } = await server.listen();
    await killAndAwaitReplacement(client);
    const conn = await client.connect({ host: '127.0.0.1', port });
    assert.deepEqual(Object.values((await client.shardConnectionStates())[0] ?? {}), [1], 'the new shard reports its connection');
    assert.equal((await client.shardCpuUsage())[0] !== undefined, true, 'the new shard answers cpuUsage');
    for (let i = 0; i < 300; i++) assert.equal(conn.writeNow(Buffer.from(`m${i}`)), true);
    const started = Date.now();
    await client.close({ wait: true });
    const took = Date.now() - started;
    assert.equal(await ended, 'CONNECTION_CLOSED');
    assert.equal(received.length, 300);
    assert.equal(received[299], 'm299');
    assert.ok(took < SHUTDOWN_GRACE_MS, `close took ${took} ms: drain did not reach the worker`);
  } finally {
    await client.close();
    await server.close();
  }
});

test('sharded: after a shard restart, adopt, accept and close() (shutdown) reach the new worker', async () => {
  const server = makePool(1);
  const client = makePool(0);
  try {
    const { port } = await server.listen();
    await killAndAwaitReplacement(server);
    const incoming = server.connections()[Symbol.asyncIterator]().next();
    const conn = await client.connect({ host: '127.0.0.1', port });
    const peer = (await incoming).value as Awaited<ReturnType<typeof client.connect>>;
    await conn.write(Buffer.from('after restart'));
    assert.equal(Buffer.from((await peer.read()).message).toString(), 'after restart');
    const started = Date.now();
    await server.close();
    const took = Date.now() - started;
    const outcome = await settle(conn.read({ signal: AbortSignal.timeout(5000) }));
    assert.equal(!outcome.ok && outcome.error.code, 'CONNECTION_CLOSED');
    assert.ok(took < SHUTDOWN_GRACE_MS, `close took ${took} ms: shutdown did not reach the worker`);
  } finally {
    await client.close();
    await server.close();
  }
});
