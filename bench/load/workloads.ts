/**
 * The workloads, by id, in the order a full run executes them.
 */
import type { WorkloadId } from './common.ts';
import { bulk } from './w1-bulk.ts';
import { echo } from './w2-echo.ts';
import { ingest } from './w2-ingest.ts';
import { handshake } from './w3-handshake.ts';
import { memory } from './w4-memory.ts';
import { bulkOnOneCore, echoOnOneCore } from './w5-one-core.ts';
import { broadcast, unicast } from './w6-broadcast.ts';
import type { WorkloadDefinition } from './workload.ts';

export const WORKLOADS: Readonly<Record<WorkloadId, WorkloadDefinition>> = {
  'W1-bulk': bulk,
  'W2-echo': echo,
  'W2-ingest': ingest,
  'W3-handshake': handshake,
  'W4-memory': memory,
  'W5-bulk': bulkOnOneCore,
  'W5-echo': echoOnOneCore,
  'W6-broadcast': broadcast,
  'W6-unicast': unicast,
};
