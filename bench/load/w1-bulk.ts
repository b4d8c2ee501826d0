/**
 * W1 bulk: one connection, 64 KiB messages one way as fast as backpressure allows; the server
 * counts the payload its consumer receives. MB/s = 10^6 payload bytes per second. Sender and
 * receiver each on their own core. Raw libsodium secretbox (one core, in the parent) is the
 * crypto ceiling of one side of our protocol.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { MB, secretboxRate } from '../common.ts';
export { secretboxRate };
import { errorText, sleep } from './common.ts';
import { baseParams, cpuPercent, newClientCounters, type ClientDriver, type WorkloadDefinition } from './workload.ts';

export const bulk: WorkloadDefinition = {
  id: 'W1-bulk',
  title: (o) => `W1 bulk: 1 connection, ${o.bulkMessageSize / 1024} KiB messages one way`,
  systems: ['p2p-inline', 'p2p-sharded', 'tls', 'tls-chacha', 'secretstream', 'tcp'],
  pinning: 'split',
  serverNodeArgs: [],
  params: (options) => ({ ...baseParams(options), mode: 'sink', connections: 1, messageSize: options.bulkMessageSize }),
  timing: (options) => ({ kind: 'window', warmupMs: options.warmup * 1000, windowMs: options.seconds * 1000 }),
  metrics(result) {
    const server = result.server;
    return {
      mbps: server && server.windowMs > 0 ? server.bytes / MB / (server.windowMs / 1000) : undefined,
      serverCpu: cpuPercent(server),
      clientCpu: cpuPercent(result.client),
    };
  },
  columns: [
    { key: 'mbps', label: 'MB/s', digits: 1 },
    { key: 'clientCpu', label: 'sender CPU %', digits: 0 },
    { key: 'serverCpu', label: 'receiver CPU %', digits: 0 },
  ],
  async clientDriver(side, port, params): Promise<ClientDriver> {
    await side.prepare(1);
    const conn = await side.connect(port, 0);
    const payload = side.prepareMessage(randomBytes(params.messageSize));
    const counters = newClientCounters();
    let running = false;
    let loop: Promise<void> = Promise.resolve();
    return {
      connections: 1,
      notes: [],
      counters,
      start() {
        running = true;
        const deadline = performance.now() + params.lifetimeSeconds * 1000;
        loop = (async () => {
          let sent = 0;
          try {
            while (running && performance.now() < deadline) {
              if (!conn.send(payload)) await conn.drain();
              counters.ops++;
              counters.bytes += params.messageSize;
              // Let IPC commands in even while the queue keeps accepting.
              if ((++sent & 63) === 0) await nextTurn();
            }
          } catch (error) {
            counters.failures++;
            counters.firstFailure ??= errorText(error);
          }
        })();
      },
      async stop() {
        running = false;
        conn.destroy();
        await Promise.race([loop, sleep(2000)]);
      },
    };
  },
};

