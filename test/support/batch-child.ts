/**
 * A child process that opens connections to a test server in batches (bench/probes/idle-clients.ts,
 * bench/probes/silent-sockets.ts): it answers IPC `{ ready: total }` after each batch and opens
 * the next on `'next'`, so the memory tests measure the server without the clients.
 */
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';

export interface BatchChild {
  /** Waits for the child's report that `total` connections are open. */
  ready(total: number): Promise<void>;
  /** Asks for the next batch. */
  next(): void;
  /** Lets the child go (it closes its connections and exits). */
  stop(): void;
}

export function forkBatches(script: URL, port: number, batches: readonly number[]): BatchChild {
  const child = fork(script, [String(port), batches.join(',')], { stdio: 'inherit' });
  return {
    async ready(total) {
      const [ready] = (await once(child, 'message')) as [{ ready: number }];
      assert.equal(ready.ready, total);
    },
    next: () => child.send('next'),
    stop: () => child.disconnect(),
  };
}
