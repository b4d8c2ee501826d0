/**
 * What main keeps for each incoming handshake while it runs: admission, the lifecycle, the
 * engine's attempt. Sharded, the socket moves to a shard at once and Node leaves main an empty
 * shell of it (~1.6 KB in dictionary mode) that nothing on main may keep while the shard runs the
 * handshake (pool.ts `admit`, shard-handle.ts `adopt`). Inline, the live socket is main's own.
 *
 * The peers are silent sockets in a child process (bench/probes/silent-sockets.ts): each
 * handshake waits for the peer's connection message until measured. A first batch warms up the
 * code paths, then the growth of a second batch is measured on main (live heap objects +
 * ArrayBuffers after full collections).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mainMemory, retainedBytes } from '../bench/probes/memory-probe.ts';
import { MODES } from './support/pools.ts';
import { memoryProbedPool } from './support/memory-probed-pool.ts';
import { forkBatches } from './support/batch-child.ts';

const WARMUP = 100;
const HANDSHAKES = 300;
/**
 * Bytes main keeps per handshake waiting on a silent peer, measured here (300 handshakes, Node
 * 24.21): inline about 8,500 B (socket, transport, handshake state), sharded about 7,200 B, where
 * keeping the transferred socket's shell made it 9,400 B. Each bound sits about 12 % above.
 */
const BOUND = { inline: 9_500, sharded: 8_000 } as const;

for (const mode of MODES) {
  test(`${mode.name}: main keeps at most ${BOUND[mode.name]} B per incoming handshake while it runs`, async (t) => {
    const { server, port } = await memoryProbedPool(mode.workers, {
      maxIncomingHandshakes: 1000,
      maxIncomingHandshakesPerAddress: 1000,
      handshakeTimeout: 60_000,
    });
    const peers = forkBatches(new URL('../bench/probes/silent-sockets.ts', import.meta.url), port, [WARMUP, HANDSHAKES]);
    const handshaking = async (total: number): Promise<void> => {
      await peers.ready(total);
      for (let i = 0; i < 1000 && server.stats().handshakes.incoming < total; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(server.stats().handshakes.incoming, total, 'every peer admitted');
      await new Promise((resolve) => setTimeout(resolve, 200)); // the sockets reach their shards
    };
    try {
      await handshaking(WARMUP);
      await mainMemory(); // the probe's own first use loads modules: not in the baseline
      const before = await mainMemory();
      peers.next();
      await handshaking(WARMUP + HANDSHAKES);
      const after = await mainMemory();
      const perHandshake = (retainedBytes(after) - retainedBytes(before)) / HANDSHAKES;
      t.diagnostic(`main keeps ${Math.round(perHandshake)} B per handshake`);
      assert.ok(perHandshake <= BOUND[mode.name], `${Math.round(perHandshake)} B per handshake (bound ${BOUND[mode.name]} B)`);
    } finally {
      peers.stop();
      await server.close();
    }
  });
}
