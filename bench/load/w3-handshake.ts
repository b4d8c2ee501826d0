/**
 * W3 handshakes: 64 connection attempts in flight, each a full handshake then a graceful close
 * (the close is not waited for before the next attempt). For our protocol that is TCP connect,
 * connection messages with the proof-of-work check on at difficulty 1 (both ways), key
 * agreement, metadata, the Pool's policy and both Acks; identities are made before the clock
 * (a ring of them, reused long after their previous connection closed). TLS: full TLS 1.3
 * handshakes (no resumption), with and without certificate checks. secret-stream: Noise XX with
 * pre-made key pairs. Plain TCP: connect only. Server and client each on their own core.
 *
 * For our protocol the CPU per handshake of both sides together is also shown beyond its floor:
 * the X25519 agreements and a loopback TCP connect and close, measured by the parent on its core
 * (bench/load/floors.ts). What remains is the handshake's framing, proof-of-work check, metadata,
 * Acks, the pool's bookkeeping, the socket writes and GC.
 */
import { performance } from 'node:perf_hooks';
import { errorText, isP2p, latencyHistogram, recordMs, sleep } from './common.ts';
import { baseParams, cpuPercent, newClientCounters, perOp, type ClientDriver, type WorkloadDefinition } from './workload.ts';

/** Identities in the client's ring. */
const IDENTITIES = 4096;
/** A run with this many failed attempts stops trying. */
const MAX_FAILURES = 1000;

export const handshake: WorkloadDefinition = {
  id: 'W3-handshake',
  title: (o) => `W3 handshakes: ${o.inFlight} in flight, full handshake then close`,
  systems: ['p2p-inline', 'p2p-sharded', 'tls', 'tls-nocheck', 'secretstream', 'tcp'],
  pinning: 'split',
  serverNodeArgs: [],
  params: (options) => ({ ...baseParams(options), mode: 'handshake', connections: IDENTITIES, powDifficulty: 1 }),
  timing: (options) => ({ kind: 'window', warmupMs: options.warmup * 1000, windowMs: options.seconds * 1000 }),
  metrics(result, _params, floors) {
    const { client, server } = result;
    const serverUs = perOp(server?.cpuUs, server?.accepted);
    const clientUs = perOp(client?.cpuUs, client?.ops);
    const bothUs = serverUs === undefined || clientUs === undefined ? undefined : serverUs + clientUs;
    const floor = isP2p(result.system) ? floors?.handshakeFloorUs : undefined;
    return {
      hsps: client && client.windowMs > 0 ? client.ops / (client.windowMs / 1000) : undefined,
      p50: client?.latency?.p50,
      p99: client?.latency?.p99,
      serverUs,
      clientUs,
      bothUs,
      beyondFloorUs: bothUs === undefined || floor === undefined ? undefined : bothUs - floor,
      serverCpu: cpuPercent(server),
      clientCpu: cpuPercent(client),
      failures: (client?.failures ?? 0) + (server?.failures ?? 0),
    };
  },
  columns: [
    { key: 'hsps', label: 'handshakes/s', digits: 0 },
    { key: 'p50', label: 'p50 ms', digits: 2 },
    { key: 'p99', label: 'p99 ms', digits: 2 },
    { key: 'serverUs', label: 'server CPU µs/hs', digits: 0 },
    { key: 'clientUs', label: 'client CPU µs/hs', digits: 0 },
    { key: 'bothUs', label: 'both sides CPU µs/hs', digits: 0 },
    { key: 'beyondFloorUs', label: 'beyond X25519+TCP floor µs/hs', digits: 0 },
    { key: 'serverCpu', label: 'server CPU %', digits: 0 },
    { key: 'clientCpu', label: 'client CPU %', digits: 0 },
    { key: 'failures', label: 'failures', digits: 0 },
  ],
  async clientDriver(side, port, params): Promise<ClientDriver> {
    await side.prepare(params.connections);
    const counters = newClientCounters();
    const latency = latencyHistogram();
    let running = false;
    let next = 0;
    let lanes: Promise<void>[] = [];
    const lane = async (deadline: number): Promise<void> => {
      while (running && performance.now() < deadline && counters.failures < MAX_FAILURES) {
        const started = performance.now();
        try {
          const conn = await side.connect(port, next++);
          const now = performance.now();
          recordMs(latency, now - started);
          counters.ops++;
          counters.lastAt = now;
          void conn.close();
        } catch (error) {
          counters.failures++;
          counters.firstFailure ??= errorText(error);
          await sleep(5);
        }
      }
    };
    return {
      connections: 0,
      notes: [],
      counters,
      latency,
      start() {
        running = true;
        const deadline = performance.now() + params.lifetimeSeconds * 1000;
        lanes = Array.from({ length: params.inFlight }, () => lane(deadline));
      },
      async stop() {
        running = false;
        await Promise.race([Promise.all(lanes), sleep(3000)]);
      },
    };
  },
};
