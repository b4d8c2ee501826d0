/**
 * A MESSAGE_TRANSFERRED record that does not match the buffer that crossed with it (its length
 * and offset must name the buffer's bytes to its end, records.ts transferredBytes) ends that one
 * connection with a typed CONNECTION_CLOSED on main: main does not crash, hand out a view of the
 * wrong bytes, or end other connections, and the shard keeps serving (sharded mode only: inline
 * has no records).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../src/main/connection.ts';
import { SHARD_SCRIPT } from '../src/main/shard-engine.ts';
import { P2pError } from '../src/shared/errors.ts';
import { MAX_CHUNK_CONTENT } from '../src/shared/session/chunk-layout.ts';
import { closedWithin, escapedErrors, makeIdentity } from './support/fixtures.ts';
import { makePool } from './support/pools.ts';
import { establishedPeer, framed } from './support/scripted-peer.ts';
import { sealedChunks } from './support/sealed-chunks.ts';

const CORRUPTING = new URL('./support/offset-corrupting-shard.ts', import.meta.url);
const identity = makeIdentity(1);

test('sharded: a transferred body whose record names the wrong offset ends its connection with CONNECTION_CLOSED; small messages on another connection keep flowing', async () => {
  const escaped = await escapedErrors(async () => {
    const pool = makePool(1, { [SHARD_SCRIPT]: CORRUPTING });
    const connections: Array<Connection<Uint8Array, undefined>> = [];
    pool.on('connection', (conn) => connections.push(conn));
    try {
      const { port } = await pool.listen();
      const waitFor = async (count: number): Promise<Connection<Uint8Array, undefined>> => {
        const deadline = Date.now() + 10_000;
        while (connections.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
        assert.ok(connections[count - 1], 'connection not accepted');
        return connections[count - 1]!;
      };
      const small = await establishedPeer(port, identity);
      const smallConn = await waitFor(1);
      const large = await establishedPeer(port, makeIdentity(1));
      const largeConn = await waitFor(2);
      // 200 KB: transferred, and its first chunk opened straight into its buffer (offset 4).
      for (const chunk of sealedChunks(large.sealer!, framed(Buffer.alloc(200_000, 3)), [MAX_CHUNK_CONTENT])) large.raw(chunk);
      await assert.rejects(largeConn.read({ signal: AbortSignal.timeout(10_000) }), (error: unknown) => error instanceof P2pError && error.code === 'CONNECTION_CLOSED');
      await closedWithin(large.socket, 5000);
      for (let i = 0; i < 3; i++) {
        for (const chunk of sealedChunks(small.sealer!, framed(Buffer.alloc(100, i)), [MAX_CHUNK_CONTENT])) small.raw(chunk);
        const got = await smallConn.read({ signal: AbortSignal.timeout(10_000) });
        assert.ok(Buffer.from(got.message).equals(Buffer.alloc(100, i)));
      }
      assert.ok(pool.stats().shards.every((shard) => shard.alive && shard.restarts === 0), 'the shard died');
      small.socket.destroy();
    } finally {
      await pool.close();
    }
  });
  assert.deepEqual(escaped, []);
});
