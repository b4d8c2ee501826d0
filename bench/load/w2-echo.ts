/**
 * W2 echo: 1,000 connections, 100-byte messages, one in flight on each: the client sends, the
 * server echoes, the client sends again on receipt. Round trips/s and round-trip latency are the
 * client's; CPU µs per echoed message is each process's CPU (all threads) over the window divided
 * by the messages it handled; the server's main-thread event-loop delay shows how responsive the
 * thread that runs the application stays. Server and client each on their own core.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ClientConn } from './adapter.ts';
import { boundedAll, latencyHistogram, recordMs } from './common.ts';
import { baseParams, newClientCounters, perOp, processCpu, PROCESS_CPU_COLUMNS, type ClientDriver, type WorkloadDefinition } from './workload.ts';

export const echo: WorkloadDefinition = {
  id: 'W2-echo',
  title: (o) => `W2 echo: ${o.echoConnections.toLocaleString('en-US')} connections, ${o.messageSize}-byte messages, one in flight each`,
  systems: ['p2p-inline', 'p2p-sharded', 'tls', 'tls-chacha', 'secretstream', 'tcp'],
  pinning: 'split',
  serverNodeArgs: [],
  params: (options) => ({ ...baseParams(options), mode: 'echo', connections: options.echoConnections }),
  timing: (options) => ({ kind: 'window', warmupMs: options.warmup * 1000, windowMs: options.seconds * 1000 }),
  metrics(result) {
    const { client, server } = result;
    return {
      rtps: client && client.windowMs > 0 ? client.ops / (client.windowMs / 1000) : undefined,
      p50: client?.latency?.p50,
      p99: client?.latency?.p99,
      serverUs: perOp(server?.cpuUs, server?.ops),
      clientUs: perOp(client?.cpuUs, client?.ops),
      serverMainUs: perOp(server?.mainCpuUs, server?.ops),
      loopP99: server?.loopDelay?.p99,
      loopMax: server?.loopDelay?.max,
      ...processCpu(result),
    };
  },
  columns: [
    { key: 'rtps', label: 'round trips/s', digits: 0 },
    { key: 'p50', label: 'p50 ms', digits: 2 },
    { key: 'p99', label: 'p99 ms', digits: 2 },
    { key: 'serverUs', label: 'server CPU µs/msg', digits: 1 },
    { key: 'clientUs', label: 'client CPU µs/msg', digits: 1 },
    { key: 'serverMainUs', label: 'server main-thread µs/msg', digits: 1 },
    { key: 'loopP99', label: 'server loop delay p99 ms', digits: 2 },
    { key: 'loopMax', label: 'server loop delay max ms', digits: 1 },
    ...PROCESS_CPU_COLUMNS,
  ],
  async clientDriver(side, port, params): Promise<ClientDriver> {
    const count = params.connections;
    await side.prepare(count);
    const counters = newClientCounters();
    const latency = latencyHistogram();
    const message = side.prepareMessage(randomBytes(params.messageSize));
    const sentAt = new Float64Array(count);
    const conns: ClientConn[] = new Array<ClientConn>(count);
    let running = false;
    const opened = await boundedAll(count, params.connectConcurrency, (i) =>
      side.connect(port, i, (reply) => {
        const now = performance.now();
        recordMs(latency, now - sentAt[i]!);
        counters.ops++;
        counters.bytes += reply.length;
        counters.lastAt = now;
        if (reply.length !== params.messageSize) {
          counters.failures++;
          counters.firstFailure ??= `echo of ${reply.length} bytes, sent ${params.messageSize}`;
        }
        if (running) {
          sentAt[i] = performance.now();
          conns[i]!.send(message);
        }
      }),
    );
    opened.forEach((conn, i) => (conns[i] = conn));
    return {
      connections: count,
      notes: [],
      counters,
      latency,
      start() {
        running = true;
        for (let i = 0; i < count; i++) {
          sentAt[i] = performance.now();
          conns[i]!.send(message);
        }
      },
      async stop() {
        running = false;
        for (const conn of conns) conn.destroy();
      },
    };
  },
};
