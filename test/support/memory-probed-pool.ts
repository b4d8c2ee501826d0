/**
 * A listening pool whose shards (if any) run the memory probe (bench/probes/memory-probe-shard.ts),
 * with a count of its connections still open: what the memory tests measure against.
 */
import { SHARD_SCRIPT } from '../../src/main/shard-engine.ts';
import type { Pool, PoolOptions } from '../../src/main/pool.ts';
import { MEMORY_PROBE_SHARD } from '../../bench/probes/memory-probe.ts';
import { makePool } from './pools.ts';

export interface MemoryProbedPool {
  readonly server: Pool<Uint8Array, undefined>;
  readonly port: number;
  /** Connections established and not yet ended. */
  open(): number;
}

export async function memoryProbedPool(workers: number, options: Partial<PoolOptions<Uint8Array, undefined>>): Promise<MemoryProbedPool> {
  const server = makePool(workers, { proofOfWorkDifficulty: 0, ...options, [SHARD_SCRIPT]: MEMORY_PROBE_SHARD });
  let open = 0;
  server.on('connection', (conn) => {
    open++;
    void conn.ended.then(() => open--);
  });
  const { port } = await server.listen();
  await server.ready();
  return { server, port, open: () => open };
}
