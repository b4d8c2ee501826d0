/**
 * The server side of the idle-connection benchmarks (bench/idle-memory.ts,
 * bench/handshake-young-gen.ts): a Pool that accepts idle connections from a client child process
 * (bench/probes/idle-clients.ts), a first batch of `warmup` that loads every code path once, then
 * `connections` more when asked. Admission as bench:load W4's server: one client address, up to
 * 1,000 handshakes at once.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Pool } from '../src/main/pool.ts';
import type { Connection } from '../src/main/connection.ts';
import { SHARD_SCRIPT } from '../src/main/shard-engine.ts';
import { generateKeyPair, identityFromKeys } from '../src/shared/identity.ts';
import { emptyMetadataConfig } from '../src/shared/wire/metadata.ts';
import { MEMORY_PROBE_SHARD } from './probes/memory-probe.ts';

export interface IdleServerOptions {
  readonly workers: number;
  readonly warmup: number;
  readonly connections: number;
  /** Handshakes the clients run at once (idle-clients.ts' default when absent). */
  readonly inFlight?: number | undefined;
  readonly handshakeTimeout?: number | undefined;
  /** Wait this long once every connection is open, before answering `opened` (lets late work settle). */
  readonly settleMs?: number | undefined;
  /** Keep a `read()` waiting on every connection, as a consumer does (bench:load W4's server). */
  readonly reading?: boolean | undefined;
}

export interface IdleServer {
  readonly server: Pool<Uint8Array, undefined>;
  readonly clients: ChildProcess;
  /** Waits until the clients' current batch is open on the server; the number of open connections. */
  opened(): Promise<number>;
  /** Asks the clients for their next batch. */
  next(): void;
  close(): Promise<void>;
}

/** Reads every message until the connection ends. */
async function readUntilEnd(conn: Connection<Uint8Array, undefined>): Promise<void> {
  try {
    while ((await conn.read()) !== undefined);
  } catch {
    // the end of the connection, whatever it was
  }
}

export async function startIdleServer(options: IdleServerOptions): Promise<IdleServer> {
  const { secretKey } = generateKeyPair();
  const server = new Pool<Uint8Array, undefined>({
    identity: identityFromKeys(secretKey, randomBytes(24)),
    chainName: 'SANDBOXED_MAVRYK',
    metadata: emptyMetadataConfig,
    proofOfWorkDifficulty: 0,
    workers: options.workers,
    maxConnections: options.connections + options.warmup + 100,
    maxIncomingHandshakes: 1000,
    maxIncomingHandshakesPerAddress: 1000,
    ...(options.handshakeTimeout === undefined ? {} : { handshakeTimeout: options.handshakeTimeout }),
    greylistMs: 1,
    // Shards that answer memory probes (memory-probe-shard.ts).
    [SHARD_SCRIPT]: MEMORY_PROBE_SHARD,
  });
  let open = 0;
  server.on('connection', (conn) => {
    open++;
    void conn.ended.then(() => open--);
    if (options.reading) void readUntilEnd(conn);
  });
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
  await server.ready?.();
  const args = [String(port), `${options.warmup},${options.connections}`, ...(options.inFlight === undefined ? [] : [String(options.inFlight)])];
  const clients = fork(new URL('./probes/idle-clients.ts', import.meta.url), args, { stdio: 'inherit' });
  return {
    server,
    clients,
    async opened() {
      const [ready] = (await once(clients, 'message')) as [{ ready: number }];
      for (let i = 0; i < 500 && open < ready.ready; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      if (options.settleMs) await new Promise((resolve) => setTimeout(resolve, options.settleMs));
      return open;
    },
    next: () => clients.send('next'),
    async close() {
      clients.disconnect();
      await server.close();
    },
  };
}
