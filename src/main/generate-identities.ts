/**
 * Many identities at once, over every core: what a load generator needs to appear as K distinct
 * peers to a real node, which demands proof of work and refuses a second connection from one peer
 * id (protocol.md §2.3, §11.2). One piscina pool keeps a round in flight per thread, as
 * `generateIdentity` does, and collects winners until it has `count` of them.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { checkProofOfWork, makePowTarget, POW_STAMP_LENGTH } from '../shared/crypto/pow.ts';
import { generateKeyPair, identityFromKeys, type Identity, type IdentityRoundRequest } from '../shared/identity.ts';
import { DEFAULT_ROUND_ATTEMPTS } from './generate-identity.ts';
import { createPowPool } from './pow-worker-pool.ts';

export interface GenerateIdentitiesProgress {
  readonly found: number;
  readonly count: number;
  readonly attempts: number;
  readonly seconds: number;
  readonly hashesPerSecond: number;
}

export interface GenerateIdentitiesOptions {
  readonly count: number;
  readonly difficulty: number;
  /** Worker threads (default: available parallelism). */
  readonly threads?: number;
  readonly onProgress?: (progress: GenerateIdentitiesProgress) => void;
}

/** `count` fresh identities whose stamps meet `difficulty`; difficulty 0 takes random stamps. */
export async function generateIdentities(options: GenerateIdentitiesOptions): Promise<Identity[]> {
  const { count, difficulty, onProgress } = options;
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${String(count)}`);
  const started = performance.now();
  const found: Identity[] = [];
  let attempts = 0;
  const report = (): void => {
    const seconds = (performance.now() - started) / 1000;
    onProgress?.({ found: found.length, count, attempts, seconds, hashesPerSecond: seconds > 0 ? attempts / seconds : 0 });
  };
  if (difficulty === 0) {
    // No work to share out: a keypair and a random stamp each (protocol.md §2.4, target 0).
    while (found.length < count) {
      found.push(identityFromKeys(generateKeyPair().secretKey, randomBytes(POW_STAMP_LENGTH)));
      if (found.length % 1000 === 0) report();
    }
    report();
    return found;
  }
  const target = makePowTarget(difficulty);
  const threads = Math.max(1, options.threads ?? availableParallelism());
  const request: IdentityRoundRequest = { targetHex: target.toString('hex'), maxAttempts: DEFAULT_ROUND_ATTEMPTS };
  const pool = createPowPool(threads);
  try {
    // Each lane runs rounds back to back until enough identities are found.
    const lane = async (): Promise<void> => {
      while (found.length < count) {
        const result = await pool.run(request);
        attempts += result.attempts;
        if (result.found !== null && found.length < count) {
          const identity = identityFromKeys(Buffer.from(result.found.secretKey, 'hex'), Buffer.from(result.found.stamp, 'hex'));
          // Checked on this thread, so a broken worker never hands out an identity peers reject.
          if (!checkProofOfWork(identity.publicKey, identity.proofOfWorkStamp, target)) throw new Error('internal error: a round returned a stamp that misses the target');
          found.push(identity);
        }
        report();
      }
    };
    await Promise.all(Array.from({ length: threads }, lane));
  } finally {
    await pool.destroy();
  }
  return found;
}
