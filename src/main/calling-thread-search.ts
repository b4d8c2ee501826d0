/**
 * Proof-of-work rounds on the calling thread, for searches too small to be worth a worker pool.
 *
 * Starting the piscina pool (threads, then each loading the task module) costs about as much as
 * 2^18 hashes on one thread, on idle and loaded machines alike (bench/identity-generation.ts
 * compares the two). A search expected to need less runs here; one that is unlucky moves on to
 * the pool after a bounded budget, so the calling thread is never held for long.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { errorFromAbortReason } from '../shared/errors.ts';
import { identitySearchRound, type IdentityRoundRequest, type IdentityRoundResult } from '../shared/identity.ts';

/** Expected hashes at or below which a search starts on the calling thread instead of a pool. */
export const CALLING_THREAD_WORK = 1 << 18;

/** Hashes a search that started on the calling thread spends there before it moves to the pool. */
export const CALLING_THREAD_BUDGET = 4 * CALLING_THREAD_WORK;

/** Hashes a search for `count` stamps at `difficulty` needs on average (2^difficulty each, protocol.md §2.2). */
export function expectedWork(difficulty: number, count = 1): number {
  return count * 2 ** difficulty;
}

/**
 * Runs rounds of `request` on this thread, yielding to the event loop between them (each round
 * blocks it for its duration), until `onRound` returns true (done) or `budget` hashes are spent.
 * Resolves with whether it is done; rejects on abort or with what `onRound` threw.
 */
export async function searchOnCallingThread(
  request: IdentityRoundRequest,
  budget: number,
  onRound: (result: IdentityRoundResult) => boolean,
  signal?: AbortSignal,
): Promise<boolean> {
  let spent = 0;
  for (;;) {
    const result = identitySearchRound({ ...request, maxAttempts: Math.min(request.maxAttempts, Math.max(1, budget - spent)) });
    spent += result.attempts;
    if (onRound(result)) return true;
    if (spent >= budget) return false;
    // Let timers, I/O and abort listeners run between rounds (OCaml yields every `yield_every`).
    await yieldToEventLoop();
    if (signal?.aborted) throw errorFromAbortReason(signal.reason);
  }
}
