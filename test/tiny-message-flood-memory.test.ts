/**
 * Peers that flood empty or 1-byte messages (maximal chunks packed with them, bench/soak/tiny-flood.ts) at
 * a pool whose application never reads: what the pool holds per connection, JS heap plus
 * ArrayBuffers after full collections over all its threads, stays within the incoming bound
 * (`incomingMessageQueueSize`, each message counted as its size plus INCOMING_ENTRY_COST) plus a
 * quarter and a small constant. The peers run in a child process (bench/probes/tiny-flood-peers.ts),
 * so only the server's side is counted; the shards carry the memory probe, as in
 * test/idle-connection-memory.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mainMemory, retainedBytes, shardMemory, type ThreadMemory } from '../bench/probes/memory-probe.ts';
import { MODES } from './support/pools.ts';
import { memoryProbedPool } from './support/memory-probed-pool.ts';

const PEERS = 6;
const INCOMING_BOUND = 1 << 20;
/**
 * Per connection, besides the queued messages: an idle connection's own cost (a few KiB,
 * test/idle-connection-memory.test.ts), the chunk being framed and the engine's small queue
 * beside the socket (up to a maximal chunk's worth of messages).
 */
const SLACK = 256 * 1024;

async function threadsMemory(workers: number): Promise<ThreadMemory[]> {
  return [await mainMemory(), ...(workers > 0 ? await shardMemory(workers) : [])];
}

for (const mode of MODES) for (const bodySize of [0, 1]) {
  test(`${mode.name}: peers flooding ${bodySize === 0 ? 'empty' : `${bodySize}-byte`} messages at a pool that never reads cost at most incomingMessageQueueSize × 1.25 + ${SLACK / 1024} KiB per connection`, async (t) => {
    const { server, port, open } = await memoryProbedPool(mode.workers, {
      maxIncomingHandshakesPerAddress: PEERS + 2,
      accept: { incomingMessageQueueSize: INCOMING_BOUND },
    });
    await threadsMemory(mode.workers); // the probe's own first use loads modules: not in the baseline
    const before = await threadsMemory(mode.workers);
    const peers = fork(new URL('../bench/probes/tiny-flood-peers.ts', import.meta.url), [String(port), String(PEERS), String(bodySize)], { stdio: 'inherit' });
    try {
      const [ready] = (await once(peers, 'message')) as [{ ready: number }];
      assert.equal(ready.ready, PEERS);
      for (let i = 0; i < 1000 && open() < PEERS; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(open(), PEERS, 'every flooding peer established on the server');
      // Until the server stops taking bytes: every queue is full and the sockets are paused.
      let received = -1;
      for (let i = 0; i < 60; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        const now = server.stats().io.totalRecv;
        if (now === received) break;
        received = now;
      }
      assert.equal(server.stats().io.totalRecv, received, 'the server kept reading from peers whose messages nobody reads');
      const after = await threadsMemory(mode.workers);
      const perThread = after.map((memory, i) => (retainedBytes(memory) - retainedBytes(before[i]!)) / PEERS);
      const total = perThread.reduce((sum, bytes) => sum + bytes, 0);
      const bound = INCOMING_BOUND * 1.25 + SLACK;
      t.diagnostic(`per flooded connection: ${perThread.map((bytes, i) => `${i === 0 ? 'main' : `shard ${i}`} ${Math.round(bytes / 1024)} KiB`).join(', ')}; total ${Math.round(total / 1024)} KiB (bound ${Math.round(bound / 1024)} KiB); received ${received} B`);
      assert.ok(total <= bound, `${Math.round(total / 1024)} KiB per flooded connection (bound ${Math.round(bound / 1024)} KiB)`);
      assert.equal(open(), PEERS, 'the flooded connections are still open');
    } finally {
      peers.disconnect();
      await server.close();
    }
  });
}
