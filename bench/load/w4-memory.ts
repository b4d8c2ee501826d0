/**
 * W4 memory: 5,000 idle established connections. The server (run with --expose-gc) measures its
 * memory after listening and again once the client has opened every connection, each time after
 * repeated full GCs: bytes per connection = RSS delta ÷ connections open. Kernel socket buffers
 * are not in RSS.
 *
 * RSS alone mostly measures how far V8 grew its young generation during the connection burst, so
 * the server runs with its semi-spaces fixed at SEMI_SPACE_MB, and the live bytes per connection
 * are shown next to it: heap used plus ArrayBuffers after the full collections, on the main thread
 * and, for the sharded pool, in every shard (whose shards answer memory probes,
 * bench/probes/memory-probe-shard.ts: main's gc() does not reach a worker's heap). The JS heap +
 * external column is main's alone. Neither side is pinned.
 */
import type { ClientConn } from './adapter.ts';
import { boundedAll } from './common.ts';
import { baseParams, newClientCounters, type ClientDriver, type WorkloadDefinition } from './workload.ts';

/** Semi-space size of the server, MiB (min = max, so the young generation cannot grow). */
export const SEMI_SPACE_MB = 1;

export const memory: WorkloadDefinition = {
  id: 'W4-memory',
  title: (o) =>
    `W4 memory: ${o.memoryConnections.toLocaleString('en-US')} idle established connections, server memory after GC (semi-spaces fixed at ${SEMI_SPACE_MB} MiB)`,
  systems: ['p2p-inline', 'p2p-sharded', 'tls', 'secretstream', 'tcp'],
  pinning: 'free',
  serverNodeArgs: ['--expose-gc', `--min-semi-space-size=${SEMI_SPACE_MB}`, `--max-semi-space-size=${SEMI_SPACE_MB}`],
  params: (options) => ({ ...baseParams(options), mode: 'idle', connections: options.memoryConnections, connectConcurrency: 128 }),
  timing: () => ({ kind: 'memory', settleMs: 1000 }),
  metrics(result) {
    const m = result.memory;
    if (!m || m.open <= 0) return { rssPerConn: undefined, liveBytesPerConn: undefined, jsPerConn: undefined, open: m?.open };
    const js = (u: NodeJS.MemoryUsage): number => u.heapUsed + u.external;
    return {
      rssPerConn: (m.loaded.rss - m.baseline.rss) / m.open,
      liveBytesPerConn: (m.loadedLive - m.baselineLive) / m.open,
      jsPerConn: (js(m.loaded) - js(m.baseline)) / m.open,
      open: m.open,
    };
  },
  columns: [
    { key: 'rssPerConn', label: 'RSS bytes/conn', digits: 0 },
    { key: 'liveBytesPerConn', label: 'live bytes/conn (all threads)', digits: 0 },
    { key: 'jsPerConn', label: 'main JS heap+external bytes/conn', digits: 0 },
    { key: 'open', label: 'connections open', digits: 0 },
  ],
  async clientDriver(side, port, params): Promise<ClientDriver> {
    const count = params.connections;
    await side.prepare(count);
    const conns: ClientConn[] = await boundedAll(count, params.connectConcurrency, (i) => side.connect(port, i));
    return {
      connections: count,
      notes: [],
      counters: newClientCounters(),
      start() {},
      async stop() {
        for (const conn of conns) conn.destroy();
      },
    };
  },
};
