/**
 * The open loop's clock (wrk2's answer to coordinated omission): every 1/rate seconds one more
 * message (churn: handshake) becomes due, whatever the target does.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Calls `dispatch` with each due time from `from` on, while `running`. Due times are exact
 * (from + i/rate); the timer only decides when we notice them (≤ ~1 ms late).
 */
export async function runOpenLoop(rate: number, from: number, running: () => boolean, dispatch: (due: number) => void): Promise<void> {
  const interval = 1000 / rate;
  let due = from;
  while (running()) {
    const now = performance.now();
    while (due <= now && running()) {
      dispatch(due);
      due += interval;
    }
    await sleep(Math.max(1, Math.min(10, due - performance.now())));
  }
}
