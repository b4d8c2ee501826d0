/**
 * W5 overhead on one core: W1 bulk and W2 echo with the server process pinned to one core
 * (`taskset -c 1`, the client on core 0), a pool of `workers: 1` against `workers: 0`. Main and
 * the shard then share the core, so whatever sharding adds per message (ring copies, doorbells,
 * records) is pure overhead: `w5_*_sharded_over_inline` is what a one-core server keeps.
 */
import { bulk } from './w1-bulk.ts';
import { echo } from './w2-echo.ts';
import type { WorkloadDefinition } from './workload.ts';

function onOneCore(workload: WorkloadDefinition, id: 'W5-bulk' | 'W5-echo'): WorkloadDefinition {
  return {
    ...workload,
    id,
    title: (o) => `W5 one core: ${workload.title(o)}; server pinned to one core, workers: 1 vs 0`,
    systems: ['p2p-inline', 'p2p-sharded'],
    pinning: 'split',
    params: (options) => ({ ...workload.params(options), workers: 1 }),
  };
}

export const bulkOnOneCore = onOneCore(bulk, 'W5-bulk');
export const echoOnOneCore = onOneCore(echo, 'W5-echo');
