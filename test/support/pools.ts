/**
 * Pool fixtures: two pools on loopback in either mode.
 */
import { Pool, type PoolOptions } from '../../src/main/pool.ts';
import { emptyMetadataConfig } from '../../src/shared/wire/metadata.ts';
import { makeIdentity } from './fixtures.ts';

export const MODES = [
  { name: 'inline', workers: 0 },
  { name: 'sharded', workers: 2 },
] as const;

export function makePool(workers: number, options: Partial<PoolOptions<Uint8Array, undefined>> = {}): Pool<Uint8Array, undefined> {
  return new Pool<Uint8Array, undefined>({
    identity: makeIdentity(1),
    chainName: 'SANDBOXED_MAVRYK',
    metadata: emptyMetadataConfig,
    proofOfWorkDifficulty: 1,
    workers,
    ...options,
  });
}

/** Echo every message back until the connection ends. */
export function echo(pool: Pool<Uint8Array, undefined>): void {
  pool.on('connection', (conn) => {
    void (async () => {
      try {
        for (;;) await conn.write((await conn.read()).message);
      } catch {
        // the connection ended
      }
    })();
  });
}
