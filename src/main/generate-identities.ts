/**
 * Many identities at once, over every core: what a load generator needs to appear as K distinct
 * peers to a real node, which demands proof of work and refuses a second connection from one peer
 * id (protocol.md §2.3, §11.2). One piscina pool keeps a round in flight per thread, as
 * `generateIdentity` does, and collects winners until it has `count` of them. A batch expected to
 * take less than starting the pool runs on the calling thread (calling-thread-search.ts).
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { checkProofOfWork, makePowTarget, POW_STAMP_LENGTH } from '../shared/crypto/pow.ts';
import { generateKeyPair, identityFromKeys, type Identity, type IdentityRoundRequest, type IdentityRoundResult } from '../shared/identity.ts';
import { DEFAULT_ROUND_ATTEMPTS } from './generate-identity.ts';
import { createPowPool } from './pow-worker-pool.ts';
import { CALLING_THREAD_BUDGET, CALLING_THREAD_WORK, expectedWork, searchOnCallingThread } from './calling-thread-search.ts';

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
  /**
   * Worker threads (default: available parallelism); `0` searches on the calling thread. A batch
   * of at most 2^18 hashes expected (`count` × 2^difficulty) starts on the calling thread
   * whatever this says, and goes to the threads for what it has not found within 2^20 hashes.
   */
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
  const threads = options.threads ?? availableParallelism();
  if (!Number.isSafeInteger(threads) || threads < 0) throw new RangeError(`threads must be a non-negative integer, got ${String(threads)}`);
  const request: IdentityRoundRequest = { targetHex: target.toString('hex'), maxAttempts: DEFAULT_ROUND_ATTEMPTS };
  /** Counts a round; true once `count` identities are found. */
  const onRound = (result: IdentityRoundResult): boolean => {
    attempts += result.attempts;
    if (result.found !== null && found.length < count) {
      const identity = identityFromKeys(Buffer.from(result.found.secretKey, 'hex'), Buffer.from(result.found.stamp, 'hex'));
      // Checked on this thread, so a broken worker never hands out an identity peers reject.
      if (!checkProofOfWork(identity.publicKey, identity.proofOfWorkStamp, target)) throw new Error('internal error: a round returned a stamp that misses the target');
      found.push(identity);
    }
    report();
    return found.length >= count;
  };
  if (count === 0) return found;
  if (threads === 0 || expectedWork(difficulty, count) <= CALLING_THREAD_WORK) {
    if (await searchOnCallingThread(request, threads === 0 ? Infinity : CALLING_THREAD_BUDGET, onRound)) return found;
  }
  const pool = createPowPool(threads);
  try {
    // Each lane runs rounds back to back until enough identities are found.
    const lane = async (): Promise<void> => {
      while (found.length < count) onRound(await pool.run(request));
    };
    await Promise.all(Array.from({ length: threads }, lane));
  } finally {
    await pool.destroy();
  }
  return found;
}
