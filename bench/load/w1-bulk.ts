/**
 * W1 bulk: one connection, 64 KiB messages one way as fast as backpressure allows; the server
 * counts the payload its consumer receives. MB/s = 10^6 payload bytes per second. Sender and
 * receiver each on their own core. Raw libsodium secretbox (one core, in the parent) is the
 * crypto ceiling of one side of our protocol.
 *
 * Each side's CPU per message (all threads, over the window, ÷ the messages that side sent or
 * received) is split for our pool into crypto, the raw secretbox cost of the message's chunks the
 * parent measured (bench/load/floors.ts), and the rest: framing, copies, queues, the socket and
 * GC, what this library controls.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { MB } from '../common.ts';
import { errorText, isP2p, sleep } from './common.ts';
import { baseParams, cpuPercent, newClientCounters, perOp, type ClientDriver, type WorkloadDefinition } from './workload.ts';

/** CPU µs per message minus its crypto, or undefined without either. */
function beyond(cpuUs: number | undefined, cryptoUs: number | undefined): number | undefined {
  return cpuUs === undefined || cryptoUs === undefined ? undefined : cpuUs - cryptoUs;
}

export const bulk: WorkloadDefinition = {
  id: 'W1-bulk',
  title: (o) => `W1 bulk: 1 connection, ${o.bulkMessageSize / 1024} KiB messages one way`,
  systems: ['p2p-inline', 'p2p-sharded', 'tls', 'tls-chacha', 'secretstream', 'tcp'],
  pinning: 'split',
  serverNodeArgs: [],
  params: (options) => ({ ...baseParams(options), mode: 'sink', connections: 1, messageSize: options.bulkMessageSize }),
  timing: (options) => ({ kind: 'window', warmupMs: options.warmup * 1000, windowMs: options.seconds * 1000 }),
  metrics(result, _params, floors) {
    const { client, server } = result;
    const senderUs = perOp(client?.cpuUs, client?.ops);
    const receiverUs = perOp(server?.cpuUs, server?.ops);
    // The crypto split applies to our protocol only: the floors are secretbox on our chunks.
    const ours = isP2p(result.system);
    const senderRestUs = ours ? beyond(senderUs, floors?.sealUsPerMessage) : undefined;
    const receiverRestUs = ours ? beyond(receiverUs, floors?.openUsPerMessage) : undefined;
    return {
      mbps: server && server.windowMs > 0 ? server.bytes / MB / (server.windowMs / 1000) : undefined,
      senderUs,
      senderRestUs,
      receiverUs,
      receiverRestUs,
      noncryptoUs: senderRestUs === undefined || receiverRestUs === undefined ? undefined : Math.max(senderRestUs, receiverRestUs),
      serverCpu: cpuPercent(server),
      clientCpu: cpuPercent(client),
    };
  },
  columns: [
    { key: 'mbps', label: 'MB/s', digits: 1 },
    { key: 'clientCpu', label: 'sender CPU %', digits: 0 },
    { key: 'serverCpu', label: 'receiver CPU %', digits: 0 },
    { key: 'senderUs', label: 'sender CPU µs/msg', digits: 1 },
    { key: 'senderRestUs', label: 'sender non-crypto µs/msg', digits: 1 },
    { key: 'receiverUs', label: 'receiver CPU µs/msg', digits: 1 },
    { key: 'receiverRestUs', label: 'receiver non-crypto µs/msg', digits: 1 },
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

