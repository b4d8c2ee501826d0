/**
 * W4 memory: 5,000 idle established connections. The server (run with --expose-gc) measures its
 * memory after listening and again once the client has opened every connection, each time after
 * repeated full GCs: bytes per connection = RSS delta ÷ connections open. The JS-visible part
 * (heapUsed + external, which includes ArrayBuffers) is shown too. Kernel socket buffers are not
 * in RSS. In the sharded pool, gc() runs on the main thread only; the workers' heaps are counted
 * in RSS as they are. Neither side is pinned.
 */
import type { ClientConn } from './adapter.ts';
import { boundedAll } from './common.ts';
import { baseParams, newClientCounters, type ClientDriver, type WorkloadDefinition } from './workload.ts';

export const memory: WorkloadDefinition = {
  id: 'W4-memory',
  title: (o) => `W4 memory: ${o.memoryConnections.toLocaleString('en-US')} idle established connections, server RSS after GC`,
  systems: ['p2p-inline', 'p2p-sharded', 'tls', 'secretstream', 'tcp'],
  pinning: 'free',
  serverNodeArgs: ['--expose-gc'],
  params: (options) => ({ ...baseParams(options), mode: 'idle', connections: options.memoryConnections, connectConcurrency: 128 }),
  timing: () => ({ kind: 'memory', settleMs: 1000 }),
  metrics(result) {
    const m = result.memory;
    if (!m || m.open <= 0) return { rssPerConn: undefined, jsPerConn: undefined, open: m?.open };
    const js = (u: NodeJS.MemoryUsage): number => u.heapUsed + u.external;
    return {
      rssPerConn: (m.loaded.rss - m.baseline.rss) / m.open,
      jsPerConn: (js(m.loaded) - js(m.baseline)) / m.open,
      open: m.open,
    };
  },
  columns: [
    { key: 'rssPerConn', label: 'RSS bytes/conn', digits: 0 },
    { key: 'jsPerConn', label: 'JS heap+external bytes/conn', digits: 0 },
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
