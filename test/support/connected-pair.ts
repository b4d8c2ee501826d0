/**
 * Two pools on loopback in either mode with one connection between them, for tests of what a
 * connection does in both modes, and a bound on how long a test waits for one step.
 */
import { once } from 'node:events';
import type { Connection } from '../../src/main/connection.ts';
import type { Pool, PoolOptions } from '../../src/main/pool.ts';
import { makePool } from './pools.ts';

type Conn = Connection<Uint8Array, undefined>;

/** Rejects when `promise` has not settled within `ms` (a bound on the test, not a timing assertion). */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** A server pool and a client pool in `workers` mode, one connection between them, all closed after `run`. */
export async function withPair(
  workers: number,
  options: { server?: Partial<PoolOptions<Uint8Array, undefined>>; client?: Partial<PoolOptions<Uint8Array, undefined>> },
  run: (client: Conn, server: Conn, serverPool: Pool<Uint8Array, undefined>) => Promise<void>,
): Promise<void> {
  const serverPool = makePool(workers, options.server);
  const clientPool = makePool(workers, options.client);
  try {
    const { port } = await serverPool.listen();
    const accepted = once(serverPool, 'connection') as Promise<[Conn]>;
    const client = await clientPool.connect({ host: '127.0.0.1', port });
    const [server] = await within(accepted, 10_000, 'accepted');
    await run(client, server, serverPool);
  } finally {
    await Promise.all([clientPool.close(), serverPool.close()]);
  }
}
