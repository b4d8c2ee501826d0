/**
 * Handshakes admitted while the shard workers are still starting wait for a shard with their
 * deadline running (pool.ts `ready`). When that deadline ends first, the peer never had its turn:
 * those timeouts must not greylist its address (maxHandshakeTimeouts), or a slow start-up locks
 * out the honest peers that reconnect first. Sharded only: an inline pool has no workers to start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SHARD_SCRIPT } from '../src/main/shard-engine.ts';
import { settle } from './support/fixtures.ts';
import { echo, makePool } from './support/pools.ts';

const SLOW_START = new URL('./support/slow-starting-shard.ts', import.meta.url);

test('sharded: handshakes that time out waiting for the shards to start do not greylist their address', async () => {
  const server = makePool(2, { [SHARD_SCRIPT]: SLOW_START, handshakeTimeout: 300, maxHandshakeTimeouts: 3 });
  const honest = makePool(0, { connectTimeout: 3000, allowDuplicatePeers: true });
  echo(server);
  try {
    const { port } = await server.listen();
    // Four dials while the shards start (two seconds): each handshake's deadline ends first.
    const early = await Promise.all(Array.from({ length: 4 }, () => settle(honest.connect({ host: '127.0.0.1', port }))));
    assert.ok(early.every((outcome) => !outcome.ok), 'a dial succeeded before the shards started');
    assert.equal(server.stats().errors['TIMEOUT'], 4, JSON.stringify(server.stats().errors));
    assert.equal(server.bannedAddresses.refuses('127.0.0.1'), false, 'greylisted for the pool’s own start-up');
    await server.ready();
    const dialled = await settle(honest.connect({ host: '127.0.0.1', port }));
    assert.ok(dialled.ok, `after start-up: ${dialled.ok ? '' : dialled.error.message}`);
    await dialled.value.write(Buffer.from('hello'));
    assert.equal(Buffer.from((await dialled.value.read()).message).toString(), 'hello');
    await dialled.value.close();
  } finally {
    await honest.close();
    await server.close();
  }
});
