/**
 * Main's side of the memory probe (memory-probe-shard.ts): this thread's memory after full
 * collections, and each shard's, asked over a BroadcastChannel. The memory benchmarks
 * (bench/idle-memory.ts, bench/handshake-young-gen.ts) and the memory tests measure with it.
 */
import { getHeapSpaceStatistics, setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { YoungGenWindow } from './young-gen-probe.ts';

export const MEMORY_PROBE_CHANNEL = 'p2p-socket.memory-probe';
/** Pass as the pool's shard script (`[SHARD_SCRIPT]`). */
export const MEMORY_PROBE_SHARD = new URL('./memory-probe-shard.ts', import.meta.url);

export interface MemoryProbeRequest {
  readonly t: 'probe';
  readonly id: number;
  /** Write a heap snapshot to `<prefix>-shard-<thread>.heapsnapshot`. */
  readonly snapshotPrefix?: string | undefined;
}

/** Starts (`start`) or ends and reports (`stop`) a young-generation window in every probe shard. */
export interface YoungGenRequest {
  readonly t: 'young';
  readonly id: number;
  readonly action: 'start' | 'stop';
}

export interface YoungGenReply {
  readonly t: 'young-window';
  readonly id: number;
  readonly thread: number;
  readonly window: YoungGenWindow;
}

export interface ThreadMemory {
  readonly thread: number;
  readonly heapUsed: number;
  /** Heap space V8 has committed (used or not). */
  readonly heapTotal: number;
  /** Physical bytes of each heap space (what RSS sees of the heap). */
  readonly spaces: Readonly<Record<string, number>>;
  /** Bytes of live objects in the spaces that hold data (not code, bytecode or feedback: compiled once per function). */
  readonly objectBytes: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly snapshot?: string | undefined;
}

export interface MemoryProbeReply extends ThreadMemory {
  readonly t: 'memory';
  readonly id: number;
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
let nextProbe = 1;
const OBJECT_SPACES = new Set(['new_space', 'old_space', 'new_large_object_space', 'large_object_space']);

/** The calling thread's memory after repeated full collections; `snapshotFile`: write a heap snapshot there too. */
export async function settledThreadMemory(thread: number, snapshotFile?: string): Promise<ThreadMemory> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const { heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  const snapshot = snapshotFile ? writeHeapSnapshot(snapshotFile) : undefined;
  const statistics = getHeapSpaceStatistics();
  const spaces = Object.fromEntries(statistics.map((space) => [space.space_name, space.physical_space_size]));
  const objectBytes = statistics.filter((space) => OBJECT_SPACES.has(space.space_name)).reduce((sum, space) => sum + space.space_used_size, 0);
  return { thread, heapUsed, heapTotal, spaces, objectBytes, external, arrayBuffers, snapshot };
}

/** The main thread's memory after full collections. */
export function mainMemory(snapshotPrefix?: string): Promise<ThreadMemory> {
  return settledThreadMemory(0, snapshotPrefix && `${snapshotPrefix}-main.heapsnapshot`);
}

/** Every probe shard's memory after full collections in that shard; rejects after `timeoutMs`. */
export function shardMemory(shards: number, options: { snapshotPrefix?: string; timeoutMs?: number } = {}): Promise<ThreadMemory[]> {
  const id = nextProbe++;
  return askShards<ThreadMemory>(
    shards,
    { t: 'probe', id, snapshotPrefix: options.snapshotPrefix },
    (reply) => {
      if (reply.t !== 'memory' || reply.id !== id) return undefined;
      const { t: _t, id: _id, ...memory } = reply;
      return memory;
    },
    'memory probe',
    options.timeoutMs,
  );
}

/**
 * Posts `request` to every probe shard and collects one answer per shard (what `answer` makes of
 * a reply, undefined for messages that are not one), sorted by thread; rejects after `timeoutMs`.
 */
function askShards<R extends { thread: number }>(
  shards: number,
  request: MemoryProbeRequest | YoungGenRequest,
  answer: (reply: MemoryProbeReply | YoungGenReply) => R | undefined,
  what: string,
  timeoutMs = 30_000,
): Promise<R[]> {
  const channel = new BroadcastChannel(MEMORY_PROBE_CHANNEL);
  const replies: R[] = [];
  return new Promise<R[]>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`${replies.length} of ${shards} shards answered the ${what}`)), timeoutMs);
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      channel.close();
      if (error) reject(error);
      else resolve(replies.sort((a, b) => a.thread - b.thread));
    };
    channel.onmessage = (event) => {
      const reply = answer((event as { data: MemoryProbeReply | YoungGenReply }).data);
      if (reply === undefined) return;
      replies.push(reply);
      if (replies.length === shards) finish();
    };
    channel.postMessage(request);
  });
}

/** JS objects plus ArrayBuffers: what a connection keeps that its thread can account for. */
export function retainedBytes(memory: ThreadMemory): number {
  return memory.objectBytes + memory.arrayBuffers;
}

/** Starts a young-generation window in every probe shard (young-gen-probe.ts). */
export function startShardYoungGen(): void {
  const channel = new BroadcastChannel(MEMORY_PROBE_CHANNEL);
  channel.postMessage({ t: 'young', id: nextProbe++, action: 'start' } satisfies YoungGenRequest);
  channel.close();
}

/** Ends the window in every probe shard and returns each shard's figures, by thread id. */
export function stopShardYoungGen(shards: number, timeoutMs = 30_000): Promise<Array<{ thread: number; window: YoungGenWindow }>> {
  const id = nextProbe++;
  return askShards(shards, { t: 'young', id, action: 'stop' }, (reply) => (reply.t === 'young-window' && reply.id === id ? { thread: reply.thread, window: reply.window } : undefined), 'young-generation probe', timeoutMs);
}
