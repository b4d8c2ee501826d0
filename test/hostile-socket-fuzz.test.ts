/**
 * Hostile peers over real loopback sockets: fast-check behaviours built from valid and
 * mutated handshake steps, cut at random points, with pauses, FINs, resets and silent holds,
 * against `authenticate`/`accept` and a Pool in both modes. A short run; `npm run fuzz` runs it
 * long with a printed seed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MODES } from './support/pools.ts';
import type { Behaviour } from './support/peer-behaviour.ts';
import { runSocketFuzz } from './support/socket-fuzz.ts';

const seed = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);
const RUNS = 15;

test(`authenticate/accept: any peer behaviour ends in a typed error within the deadline, socket closed (seed ${seed})`, async () => {
  await runSocketFuzz({ target: 'authenticate', numRuns: RUNS, parallel: 4, seed, timeoutMs: 300 });
});

for (const { name } of MODES) {
  test(`${name} pool: any peer behaviour ends with the socket closed, nothing escapes, the pool keeps serving (seed ${seed})`, async () => {
    await runSocketFuzz({ target: name, numRuns: RUNS, parallel: 4, seed, timeoutMs: 300 });
  });
}

// The property itself can fail: a server whose real deadline is far longer than the one the
// property expects keeps held sockets open, and that is reported (a holding peer closes its own
// socket after holdMs, so the server's close must be required). A batch of silent holds is always
// played first: random batches alone catch it only when a hold meets a server still waiting,
// which some seeds never generate in 10 runs.
const SILENT_HOLDS: readonly Behaviour[] = Array.from({ length: 4 }, () => ({ steps: [], cuts: [1], ending: 'hold' as const }));

for (const target of ['authenticate', 'inline', 'sharded'] as const) {
  test(`${target}: the socket fuzzer catches a server that ignores its handshake deadline (seed ${seed})`, async () => {
    const options = { target, numRuns: 10, parallel: 4, seed, timeoutMs: 300, serverTimeoutMs: 60_000, examples: [SILENT_HOLDS] };
    await assert.rejects(runSocketFuzz(options), (error: Error) => {
      // fast-check reports the property's own assertion as the cause.
      const cause = error.cause instanceof Error ? error.cause.message : '';
      assert.match(cause, /held sockets outlived|kept a socket it never established open/, error.message);
      return true;
    });
  });
}
