/**
 * A shard worker that fails at start-up (sharded mode only: inline has no worker). Restarts back
 * off; after a few failures the shard is given up and reported once on `'error'` as SHARD_FAILED
 * whose `cause` is the worker's own error; the pool never throws into the event loop, with or
 * without an `'error'` listener.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { SHARD_SCRIPT } from '../src/main/shard-engine.ts';
import { settle } from './support/fixtures.ts';
import { makePool } from './support/pools.ts';

const FAILING = new URL('./support/failing-shard.ts', import.meta.url);

test('sharded: a shard that dies at start-up is restarted with back-off, then given up and reported with its cause', async () => {
  const started = Date.now();
  const pool = makePool(2, { [SHARD_SCRIPT]: FAILING });
  const errors: Error[] = [];
  pool.on('error', (error) => errors.push(error));
  try {
    for (let i = 0; i < 200 && errors.length < 2; i++) await sleep(50);
    assert.equal(errors.length, 2, 'each shard is reported once');
    // Back-off: 100 + 200 + 400 + 800 ms between the five attempts.
    assert.ok(Date.now() - started >= 1500, `gave up after ${Date.now() - started} ms: restarts did not back off`);
    for (const error of errors) {
      assert.equal((error as { code?: string }).code, 'SHARD_FAILED');
      const cause = error.cause as Error & { code?: string };
      assert.ok(cause instanceof Error, 'cause is the worker error');
      assert.match(cause.message, /native module missing/);
    }
    const restarts = pool.stats().shards.map((shard) => shard.restarts);
    await sleep(1000);
    assert.deepEqual(pool.stats().shards.map((shard) => shard.restarts), restarts, 'still restarting: it loops');
    assert.ok(pool.stats().shards.every((shard) => !shard.alive));
    // New connections fail at once with a typed error.
    const outcome = await settle(pool.connect({ host: '127.0.0.1', port: 9 }));
    assert.equal(!outcome.ok && outcome.error.code, 'SHARD_FAILED');
  } finally {
    await pool.close();
  }
});

test('sharded: with no error listener, a failing shard is counted and nothing reaches the event loop', async () => {
  const escaped: unknown[] = [];
  const onEscape = (error: unknown): void => void escaped.push(error);
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
  const pool = makePool(1, { [SHARD_SCRIPT]: FAILING });
  try {
    for (let i = 0; i < 200 && (pool.stats().errors['SHARD_FAILED'] ?? 0) < 1; i++) await sleep(50);
    assert.equal(pool.stats().errors['SHARD_FAILED'], 1);
    await sleep(100);
    assert.deepEqual(escaped, []);
  } finally {
    process.off('unhandledRejection', onEscape);
    process.off('uncaughtException', onEscape);
    await pool.close();
  }
});
