/**
 * A shard worker that also answers memory probes: the real shard (src/worker/shard.ts) plus a
 * BroadcastChannel listener that, when asked, runs full collections in this thread and reports
 * its own heap and ArrayBuffer bytes (and, on request, writes a heap snapshot). Main's `gc()`
 * does not reach a worker's heap, so a per-connection memory bound for the sharded pool has to be
 * measured inside each shard. Used through the pool's shard-script seam (memory-probe.ts).
 */
import { threadId } from 'node:worker_threads';
import '../../src/worker/shard.ts';
import { MEMORY_PROBE_CHANNEL, settledThreadMemory, type MemoryProbeReply, type MemoryProbeRequest, type YoungGenReply, type YoungGenRequest } from './memory-probe.ts';
import { startYoungGenWindow, type YoungGenWindow } from './young-gen-probe.ts';

const channel = new BroadcastChannel(MEMORY_PROBE_CHANNEL);
channel.unref();
let endWindow: (() => YoungGenWindow) | undefined;
channel.onmessage = (event) => {
  const request = (event as { data: MemoryProbeRequest | MemoryProbeReply | YoungGenRequest | YoungGenReply }).data;
  if (request.t === 'young') {
    // A young-generation window (young-gen-probe.ts): started on one request, reported on the next.
    if (request.action === 'start') endWindow = startYoungGenWindow();
    else if (endWindow) channel.postMessage({ t: 'young-window', id: request.id, thread: threadId, window: endWindow() } satisfies YoungGenReply);
    return;
  }
  if (request.t !== 'probe') return;
  const file = request.snapshotPrefix && `${request.snapshotPrefix}-shard-${threadId}.heapsnapshot`;
  void settledThreadMemory(threadId, file).then((memory) => channel.postMessage({ t: 'memory', id: request.id, ...memory } satisfies MemoryProbeReply));
};
