/**
 * W6 broadcast: one 16 KiB message to all of 1,000 connections over the sharded pool (2 shards),
 * over and over. `W6-broadcast` calls `pool.broadcast(message)` (encoded once, one copy per shard,
 * each shard seals a copy per connection); `W6-unicast` writes the same message to each connection
 * one by one with `writeNow`. Both pace the same way: a round that met a full queue waits 1 ms.
 * The headline is messages delivered per second at the receivers (the client counts them); the
 * server also reports the ring bytes per broadcast its pool counted (`pool.stats().broadcasts`).
 * Neither side is pinned. bench/load.ts runs the two alternated (broadcast run 1, unicast run 1,
 * broadcast run 2 …: `pairedWith`) and reports the gain per pair.
 */
import type { ClientConn } from './adapter.ts';
import { boundedAll } from './common.ts';
import { baseParams, newClientCounters, perOp, processCpu, PROCESS_CPU_COLUMNS, type ClientDriver, type WorkloadDefinition } from './workload.ts';

/** Bytes of the broadcast message. */
export const BROADCAST_MESSAGE_SIZE = 16 * 1024;

function pushing(mode: 'broadcast' | 'unicast'): WorkloadDefinition {
  const id = mode === 'broadcast' ? 'W6-broadcast' : 'W6-unicast';
  return {
    id,
    title: (o) =>
      `W6 ${mode}: one ${BROADCAST_MESSAGE_SIZE / 1024} KiB message to all of ${o.echoConnections.toLocaleString('en-US')} connections over ${o.workers} shards, ` +
      (mode === 'broadcast' ? 'pool.broadcast' : 'writeNow on each connection'),
    systems: ['p2p-sharded'],
    pairedWith: mode === 'broadcast' ? 'W6-unicast' : 'W6-broadcast',
    pinning: 'free',
    serverNodeArgs: [],
    params: (options) => ({ ...baseParams(options), mode, connections: options.echoConnections, messageSize: BROADCAST_MESSAGE_SIZE }),
    timing: (options) => ({ kind: 'window', warmupMs: options.warmup * 1000, windowMs: options.seconds * 1000 }),
    metrics(result) {
      const { client, server } = result;
      const msgps = client && client.windowMs > 0 ? client.ops / (client.windowMs / 1000) : undefined;
      // The server's CPU rate over its own window, per message delivered per second at the client:
      // both children are saturated and their windows can differ by seconds, so CPU counted over
      // the server's window and divided by the client's messages read 3–5× too high.
      const perDelivered = (cpuUs: number | undefined): number | undefined =>
        cpuUs === undefined || !server || server.windowMs <= 0 || !msgps ? undefined : cpuUs / (server.windowMs / 1000) / msgps;
      return {
        msgps,
        serverUs: perDelivered(server?.cpuUs),
        serverMainUs: perDelivered(server?.mainCpuUs),
        clientUs: perOp(client?.cpuUs, client?.ops),
        ringBytesPerBroadcast: server?.gauges?.['ringBytesPerBroadcast'],
        loopMax: server?.loopDelay?.max,
        ...processCpu(result),
      };
    },
    columns: [
      { key: 'msgps', label: 'delivered msgs/s', digits: 0 },
      { key: 'serverUs', label: 'server CPU µs/msg', digits: 1 },
      { key: 'serverMainUs', label: 'server main-thread µs/msg', digits: 2 },
      { key: 'clientUs', label: 'client CPU µs/msg', digits: 1 },
      { key: 'ringBytesPerBroadcast', label: 'ring bytes/broadcast', digits: 0 },
      { key: 'loopMax', label: 'server loop delay max ms', digits: 1 },
      ...PROCESS_CPU_COLUMNS,
    ],
    async clientDriver(side, port, params): Promise<ClientDriver> {
      const count = params.connections;
      await side.prepare(count);
      const counters = newClientCounters();
      // The window's samples are taken here, as messages arrive (sampleOnArrival): the client is
      // saturated, and its sampling timer alone left windows with no sample in them.
      let sample = (): void => {};
      const conns: ClientConn[] = await boundedAll(count, params.connectConcurrency, (i) =>
        side.connect(port, i, (body) => {
          counters.ops++;
          counters.bytes += body.length;
          counters.lastAt = performance.now();
          if (body.length !== params.messageSize) {
            counters.failures++;
            counters.firstFailure ??= `message of ${body.length} bytes, sent ${params.messageSize}`;
          }
          sample();
        }),
      );
      return {
        connections: count,
        notes: [],
        counters,
        sampleOnArrival(take) {
          sample = take;
        },
        start() {},
        async stop() {
          for (const conn of conns) conn.destroy();
        },
      };
    },
  };
}

export const broadcast = pushing('broadcast');
export const unicast = pushing('unicast');
