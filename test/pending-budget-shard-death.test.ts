/**
 * The pool-wide pending-message budget after a shard dies (found by the hostile review of this
 * session): a shard killed while one of its connections held an unfinished message left that
 * message's charge in the shared count for good (131,072 B with 0 connections), so repeated shard
 * deaths could use up `maxPendingMessageBytes` and pause large messages on every shard. Each
 * thread now charges its own count, and main clears a shard's once its worker has exited. Only a
 * sharded pool has a thread that can die under its connections.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeIdentity } from './support/fixtures.ts';
import { makePool } from './support/pools.ts';
import { establishedPeer } from './support/scripted-peer.ts';

test('sharded: a shard killed while a connection holds an unfinished message gives its charge back; the restarted shard charges again', async () => {
  const pool = makePool(1);
  try {
    const { port } = await pool.listen();
    const unfinished = async (): Promise<void> => {
      const accepted = once(pool, 'connection');
      const peer = await establishedPeer(port, makeIdentity(2));
      await accepted;
      const prefix = Buffer.alloc(4);
      prefix.writeUInt32BE(1_000_000); // a 1 MB message, of which one 60 kB chunk comes
      peer.sendChunk(Buffer.concat([prefix, Buffer.alloc(60_000, 1)]));
    };
    await unfinished();
    for (let i = 0; i < 100 && pool.stats().pendingMessageBytes === 0; i++) await sleep(20);
    assert.ok(pool.stats().pendingMessageBytes > 0, 'the unfinished message is charged');
    await pool.killShard(0);
    for (let i = 0; i < 100 && pool.stats().pendingMessageBytes !== 0; i++) await sleep(20);
    assert.equal(pool.stats().pendingMessageBytes, 0, 'the dead shard charges nothing');
    // The replacement shard charges its own connections as before.
    await pool.ready();
    await unfinished();
    for (let i = 0; i < 100 && pool.stats().pendingMessageBytes === 0; i++) await sleep(20);
    assert.ok(pool.stats().pendingMessageBytes > 0, 'the restarted shard charges again');
  } finally {
    await pool.close();
  }
});
