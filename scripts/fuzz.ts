/**
 * `npm run fuzz`: the long run of the hostile-peer fuzzers (issue 11).
 *
 *   npm run fuzz -- [--cases=N] [--sessions=N] [--minutes=M] [--seed=S] [--parallel=P]
 *
 * --cases: in-process cases over the byte queue, chunk reader, wire decoders and ring (split
 * evenly; default 1,000,000). --sessions: socket-level sessions over loopback (split over
 * authenticate, inline pool and sharded pool; default 10,000). --minutes caps each phase's
 * time (fast-check's `interruptAfterTimeLimit`; the counts then say how far it got). The seed is
 * printed first so a failure replays with --seed. Prints a table and a JSON line.
 */
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { FUZZ_TARGETS } from '../test/support/fuzz-targets.ts';
import { runSocketFuzz, type FuzzTarget } from '../test/support/socket-fuzz.ts';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '1000000' },
    sessions: { type: 'string', default: '10000' },
    minutes: { type: 'string' },
    seed: { type: 'string' },
    parallel: { type: 'string', default: '8' },
  },
});
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 2 ** 31;
const cases = Number(values.cases);
const sessions = Number(values.sessions);
const parallel = Number(values.parallel);
const limitMs = values.minutes !== undefined ? Number(values.minutes) * 60_000 : undefined;
console.log(`fuzz seed ${seed} (replay: npm run fuzz -- --seed=${seed})`);

interface Row {
  readonly target: string;
  readonly cases: number;
  readonly seconds: number;
  readonly outcomes?: Record<string, number>;
}
const rows: Row[] = [];

for (const { name, property } of FUZZ_TARGETS) {
  const started = Date.now();
  const numRuns = Math.ceil(cases / FUZZ_TARGETS.length);
  const details = await fc.check(property, { numRuns, seed, ...(limitMs ? { interruptAfterTimeLimit: limitMs } : {}) });
  if (details.failed) {
    console.error(fc.defaultReportMessage(details));
    process.exitCode = 1;
  }
  rows.push({ target: name, cases: details.numRuns, seconds: (Date.now() - started) / 1000 });
  console.log(`${name}: ${details.numRuns} cases in ${rows.at(-1)!.seconds} s${details.failed ? ' FAILED' : ''}`);
}

const socketTargets: FuzzTarget[] = ['authenticate', 'inline', 'sharded'];
for (const target of socketTargets) {
  const started = Date.now();
  const perTarget = Math.ceil(sessions / socketTargets.length);
  let done = 0;
  let outcomes: Record<string, number> = {};
  // In rounds, so --minutes can stop between them; each round is its own seed (printed on failure).
  for (let round = 0; done < perTarget && (!limitMs || Date.now() - started < limitMs); round++) {
    // Exactly --sessions in all: a round never plays more than what is left (a run plays `width` at once).
    const left = perTarget - done;
    const width = Math.min(parallel, left);
    const numRuns = Math.min(50, Math.floor(left / width));
    try {
      const result = await runSocketFuzz({ target, numRuns, parallel: width, seed: seed + round, timeoutMs: 300 });
      done += result.sessions;
      for (const [code, n] of Object.entries(result.outcomes)) outcomes[code] = (outcomes[code] ?? 0) + n;
    } catch (error) {
      console.error(`${target} round ${round} (seed ${seed + round}) failed:`, error);
      process.exitCode = 1;
      break;
    }
  }
  rows.push({ target: `socket: ${target}`, cases: done, seconds: (Date.now() - started) / 1000, outcomes });
  console.log(`socket ${target}: ${done} sessions in ${rows.at(-1)!.seconds} s`);
  outcomes = {};
}

console.log('');
console.log('| target | cases | seconds | server-side outcomes |');
console.log('|---|---:|---:|---|');
for (const row of rows) {
  console.log(`| ${row.target} | ${row.cases} | ${row.seconds.toFixed(1)} | ${row.outcomes ? Object.entries(row.outcomes).map(([k, v]) => `${k} ${v}`).join(', ') : ''} |`);
}
console.log(JSON.stringify({ fuzz: { seed, ok: process.exitCode !== 1, rows } }));
// Exit explicitly: thousands of sessions' peer sockets are unref'd but a reset one can leave its
// handle behind (see test/support/peer-behaviour.ts); the results are printed, nothing is pending.
process.exit();
