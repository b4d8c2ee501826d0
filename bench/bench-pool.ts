/**
 * A Pool for a benchmark on loopback: a fresh identity with no proof of work (the benchmarks
 * measure the data path, not identities), the test chain, empty metadata.
 */
import { randomBytes } from 'node:crypto';
import { Pool, type PoolOptions } from '../src/main/pool.ts';
import { generateKeyPair, identityFromKeys } from '../src/shared/identity.ts';
import { emptyMetadataConfig } from '../src/shared/wire/metadata.ts';

export function benchPool(workers: number, options: Partial<PoolOptions<Uint8Array, undefined>> = {}): Pool<Uint8Array, undefined> {
  const { secretKey } = generateKeyPair();
  return new Pool<Uint8Array, undefined>({
    identity: identityFromKeys(secretKey, randomBytes(24)),
    chainName: 'SANDBOXED_MAVRYK',
    metadata: emptyMetadataConfig,
    proofOfWorkDifficulty: 0,
    workers,
    ...options,
  });
}
