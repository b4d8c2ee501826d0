/**
 * A pool on loopback for the length of a test, its accepted connections collected in order.
 */
import type { Connection } from '../../src/main/connection.ts';
import type { Pool, PoolOptions } from '../../src/main/pool.ts';
import { makePool } from './pools.ts';

/** A pool in `workers` mode listening on loopback, its accepted connections collected in order, closed after `run` (which may ask it for stats). */
export async function withPool(
  workers: number,
  options: Partial<PoolOptions<Uint8Array, undefined>>,
  run: (port: number, connections: Array<Connection<Uint8Array, undefined>>, pool: Pool<Uint8Array, undefined>) => Promise<void>,
): Promise<void> {
  const pool = makePool(workers, options);
  const connections: Array<Connection<Uint8Array, undefined>> = [];
  pool.on('connection', (conn) => connections.push(conn));
  try {
    const { port } = await pool.listen();
    await run(port, connections, pool);
  } finally {
    await pool.close();
  }
}
