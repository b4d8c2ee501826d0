/**
 * Identity generation over every core (protocol.md §2.4, §12.3; architecture.md §5).
 *
 * The node generates its identity at difficulty 26 by default (protocol.md §2.3): about 2^26 BLAKE2b
 * hashes, seconds of CPU. Work is split into bounded rounds, each with a fresh keypair and a
 * fresh random start stamp as `generate_with_animation` does, so threads never overlap and need
 * no coordination. A piscina pool keeps one round in flight per thread; the first stamp found
 * wins and the pool is destroyed, which terminates the threads still hashing. A search expected
 * to take less than starting the pool runs on the calling thread (calling-thread-search.ts).
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { checkProofOfWork, makePowTarget, POW_STAMP_LENGTH } from '../shared/crypto/pow.ts';
import { errorFromAbortReason } from '../shared/errors.ts';
import { generateKeyPair, identityFromKeys } from '../shared/identity.ts';
import type { Identity, IdentityRoundRequest, IdentityRoundResult } from '../shared/identity.ts';
import { createPowPool } from './pow-worker-pool.ts';
import { CALLING_THREAD_BUDGET, CALLING_THREAD_WORK, expectedWork, searchOnCallingThread } from './calling-thread-search.ts';

/**
 * Hashes per round: tens of milliseconds on one thread, long enough that the pool's per-task
 * cost is noise, short enough for lively progress reports. Cancellation does not wait for
 * rounds (threads are terminated).
 */
export const DEFAULT_ROUND_ATTEMPTS = 1 << 18;

export interface GenerateIdentityProgress {
  /** Hashes done in the rounds completed so far. */
  readonly attempts: number;
  readonly seconds: number;
  readonly hashesPerSecond: number;
}

export interface GenerateIdentityOptions {
  /** Proof-of-work difficulty in [0, 256] (protocol.md §2.2); the node default is 26. */
  readonly difficulty: number;
  /**
   * Worker threads. Default `os.availableParallelism()`. `0` runs the rounds on the calling
   * thread, yielding to the event loop between rounds (each round blocks it for its duration).
   * A difficulty of 18 or less (2^18 hashes expected, less than starting the threads costs)
   * starts on the calling thread whatever this says, and goes to the threads only if it has not
   * succeeded within 2^20 hashes.
   */
  readonly threads?: number;
  /** Hashes per round (default DEFAULT_ROUND_ATTEMPTS). */
  readonly roundAttempts?: number;
  /** Aborting rejects with ABORTED (or TIMEOUT for `AbortSignal.timeout`) and stops all threads. */
  readonly signal?: AbortSignal;
  /** Called after each completed round. An exception thrown here stops the search and rejects. */
  readonly onProgress?: (stats: GenerateIdentityProgress) => void;
}

export interface GenerateIdentityResult {
  readonly identity: Identity;
  /** Hashes counted over completed rounds, the winning one included up to the winning hash. */
  readonly attempts: number;
  readonly seconds: number;
  readonly hashesPerSecond: number;
}

function stats(attempts: number, started: number): GenerateIdentityProgress {
  const seconds = (performance.now() - started) / 1000;
  return { attempts, seconds, hashesPerSecond: seconds > 0 ? attempts / seconds : 0 };
}

function identityOfRound(found: NonNullable<IdentityRoundResult['found']>, target: Buffer): Identity {
  const identity = identityFromKeys(Buffer.from(found.secretKey, 'hex'), Buffer.from(found.stamp, 'hex'));
  // One hash on this thread, so a broken worker can never hand out an identity peers reject.
  if (!checkProofOfWork(identity.publicKey, identity.proofOfWorkStamp, target)) {
    throw new Error('internal error: a proof-of-work round returned a stamp that does not meet the target');
  }
  return identity;
}

function checkOptions(options: GenerateIdentityOptions): { threads: number; roundAttempts: number } {
  const threads = options.threads ?? availableParallelism();
  if (!Number.isSafeInteger(threads) || threads < 0) {
    throw new RangeError(`threads must be a non-negative integer, got ${String(threads)}`);
  }
  const roundAttempts = options.roundAttempts ?? DEFAULT_ROUND_ATTEMPTS;
  if (!Number.isSafeInteger(roundAttempts) || roundAttempts < 1) {
    throw new RangeError(`roundAttempts must be a positive integer, got ${String(roundAttempts)}`);
  }
  return { threads, roundAttempts };
}

/**
 * Generates a fresh identity whose stamp meets `difficulty` (protocol.md §2.4). Difficulty 0 takes a
 * single random stamp (`generate_proof_of_work_with_target_0`). Throws RangeError on bad
 * options; rejects with ABORTED/TIMEOUT on abort. No thread outlives the returned promise.
 */
export async function generateIdentity(options: GenerateIdentityOptions): Promise<GenerateIdentityResult> {
  const target = makePowTarget(options.difficulty);
  const { threads, roundAttempts } = checkOptions(options);
  const { signal, onProgress } = options;
  if (signal?.aborted) throw errorFromAbortReason(signal.reason);
  const started = performance.now();

  if (options.difficulty === 0) {
    const { secretKey } = generateKeyPair();
    const identity = identityFromKeys(secretKey, randomBytes(POW_STAMP_LENGTH));
    return { identity, ...stats(1, started) };
  }

  const request: IdentityRoundRequest = { targetHex: target.toString('hex'), maxAttempts: roundAttempts };
  let attempts = 0;
  if (threads === 0 || expectedWork(options.difficulty) <= CALLING_THREAD_WORK) {
    let identity: Identity | undefined;
    const onRound = (result: IdentityRoundResult): boolean => {
      attempts += result.attempts;
      if (result.found !== null) identity = identityOfRound(result.found, target);
      else onProgress?.(stats(attempts, started));
      return identity !== undefined;
    };
    await searchOnCallingThread(request, threads === 0 ? Infinity : CALLING_THREAD_BUDGET, onRound, signal);
    if (identity) return { identity, ...stats(attempts, started) };
  }
  return generateOnPool(request, target, threads, started, attempts, signal, onProgress);
}

function generateOnPool(
  request: IdentityRoundRequest,
  target: Buffer,
  threads: number,
  started: number,
  attemptsBefore: number,
  signal: AbortSignal | undefined,
  onProgress: GenerateIdentityOptions['onProgress'],
): Promise<GenerateIdentityResult> {
  if (signal?.aborted) return Promise.reject(errorFromAbortReason(signal.reason));
  const pool = createPowPool(threads);

  return new Promise<GenerateIdentityResult>((resolve, reject) => {
    let attempts = attemptsBefore;
    let settled = false;

    // Every exit goes through here: tear the pool down (terminating busy threads, rejecting the
    // rounds in flight, whose rejections `onError` then ignores), and only then settle, so that
    // no thread outlives the promise.
    const finish = (settle: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      pool.destroy().then(settle, settle);
    };
    const fail = (error: unknown): void => finish(() => reject(error));
    function onAbort(): void {
      fail(errorFromAbortReason(signal?.reason));
    }

    const onResult = (result: IdentityRoundResult): void => {
      if (settled) return;
      attempts += result.attempts;
      try {
        if (result.found !== null) {
          const identity = identityOfRound(result.found, target);
          const done = stats(attempts, started);
          finish(() => resolve({ identity, ...done }));
          return;
        }
        onProgress?.(stats(attempts, started));
      } catch (error) {
        fail(error);
        return;
      }
      launch();
    };
    const onError = (error: unknown): void => {
      if (!settled) fail(error);
    };
    function launch(): void {
      if (!settled) pool.run(request).then(onResult, onError);
    }

    // Errors in an idle thread come as 'error' events; unhandled, an EventEmitter would throw.
    pool.on('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    for (let i = 0; i < threads; i++) launch();
  });
}
