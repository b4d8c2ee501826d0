/**
 * W2 ingest: the same 1,000 connections, but the client encrypts all its traffic before the clock
 * starts (handshake, then every 100-byte message sealed with the session's keys), and on "start"
 * hands it all to its sockets at once. The client then costs almost nothing, so the server is
 * the bottleneck: messages/s delivered to the server's consumer. Neither side is pinned, so the
 * sharded pool can use both cores. Plain TCP (framed plaintext written the same way) is the
 * ceiling.
 *
 * The server samples its message counter and CPU every 10 ms from "start"; the window opens half
 * the warm-up after its first message and closes after `seconds`, or at its last message when the
 * traffic runs out earlier. A flow too short for the warm-up is measured whole (and says so).
 */
import { randomBytes } from 'node:crypto';
import type { PresealedConn } from './adapter.ts';
import { boundedAll } from './common.ts';
import { baseParams, cpuPercent, newClientCounters, perOp, type ClientDriver, type WorkloadDefinition } from './workload.ts';

export const ingest: WorkloadDefinition = {
  id: 'W2-ingest',
  title: (o) =>
    `W2 ingest: ${o.echoConnections.toLocaleString('en-US')} connections × ${o.ingestMessages.toLocaleString('en-US')} ${o.messageSize}-byte messages pre-sealed by the client`,
  systems: ['p2p-inline', 'p2p-sharded', 'tcp'],
  pinning: 'free',
  serverNodeArgs: [],
  params: (options) => ({
    ...baseParams(options),
    mode: 'sink',
    connections: options.echoConnections,
    flow: { warmupMs: (options.warmup * 1000) / 2, windowMs: options.seconds * 1000 },
  }),
  timing: (options) => ({ kind: 'flow', maxMs: (options.warmup + options.seconds) * 1000 + 10_000 }),
  metrics(result) {
    const server = result.server;
    const activeMs = server ? Math.min(server.windowMs, server.lastOpMs) : 0;
    return {
      msgps: server && server.ops > 0 && activeMs > 0 ? server.ops / (activeMs / 1000) : undefined,
      serverUs: perOp(server?.cpuUs, server?.ops),
      serverMainUs: perOp(server?.mainCpuUs, server?.ops),
      serverCpu: cpuPercent(server),
      loopP99: server?.loopDelay?.p99,
      loopMax: server?.loopDelay?.max,
    };
  },
  columns: [
    { key: 'msgps', label: 'messages/s', digits: 0 },
    { key: 'serverUs', label: 'server CPU µs/msg', digits: 2 },
    { key: 'serverMainUs', label: 'main-thread µs/msg', digits: 2 },
    { key: 'serverCpu', label: 'server CPU %', digits: 0 },
    { key: 'loopP99', label: 'loop delay p99 ms', digits: 1 },
    { key: 'loopMax', label: 'loop delay max ms', digits: 1 },
  ],
  async clientDriver(side, port, params): Promise<ClientDriver> {
    const connectPresealed = side.connectPresealed?.bind(side);
    if (!connectPresealed) throw new Error('this system cannot encrypt its traffic ahead of time');
    const count = params.connections;
    await side.prepare(count);
    const body = randomBytes(params.messageSize);
    const counters = newClientCounters();
    const conns: PresealedConn[] = await boundedAll(count, params.connectConcurrency, (i) => connectPresealed(port, i, body, params.ingestMessages));
    const wireBytes = conns.reduce((sum, conn) => sum + conn.wireBytes, 0);
    return {
      connections: count,
      notes: [`${params.ingestMessages} messages per connection, ${(wireBytes / 1e6).toFixed(0)} MB on the wire in total`],
      counters,
      start() {
        for (const conn of conns) conn.fire();
        counters.ops = count * params.ingestMessages;
        counters.bytes = wireBytes;
      },
      async stop() {
        for (const conn of conns) conn.destroy();
      },
    };
  },
};
