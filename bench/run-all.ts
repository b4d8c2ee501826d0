/**
 * Runs every benchmark suite in sequence, each in its own process (so one suite's JIT state and
 * heap do not colour the next), and ends with one JSON line gathering each suite's last line.
 *
 * Run: ./node_modules/.bin/node bench/run-all.ts [--quick]
 *   full:  chunk codec (~35 s), bulk loopback 3 × 5 s per kind (~1.5 min), proof of work (~10 s)
 *   quick: shorter cases and a single 2 s bulk run per kind, for a smoke test (~30 s)
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const QUICK = process.argv.includes('--quick');
/** No suite may run longer than this; it is killed and reported as failed. */
const SUITE_LIMIT_MS = 10 * 60 * 1000;

interface Suite {
  readonly name: string;
  readonly file: string;
  readonly args: readonly string[];
}

const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url));

const suites: Suite[] = [
  { name: 'chunk-codec', file: here('./chunk-codec.bench.ts'), args: QUICK ? ['--quick'] : [] },
  { name: 'bulk-loopback', file: here('./bulk-loopback.ts'), args: QUICK ? ['--seconds=2', '--repeats=1', '--noisy-retries=0'] : [] },
  { name: 'pow', file: here('./pow.bench.ts'), args: [] },
  { name: 'ring', file: here('./ring.bench.ts'), args: QUICK ? ['--quick'] : [] },
  { name: 'control-plane', file: here('./control-plane.bench.ts'), args: QUICK ? ['--quick'] : [] },
];

interface Outcome {
  readonly ok: boolean;
  readonly seconds: number;
  /** The suite's last output line, parsed, when it is JSON. */
  readonly result: unknown;
}

function runSuite(suite: Suite): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [suite.file, ...suite.args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let tail = '';
    child.stdout.on('data', (data: Buffer) => {
      process.stdout.write(data);
      tail = (tail + data.toString('utf8')).slice(-256 * 1024);
    });
    const timer = setTimeout(() => {
      console.error(`${suite.name}: still running after ${SUITE_LIMIT_MS / 60000} min, killing pid ${child.pid}`);
      child.kill('SIGKILL');
    }, SUITE_LIMIT_MS);
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      const last = tail.trimEnd().split('\n').pop() ?? '';
      let result: unknown = null;
      try {
        result = JSON.parse(last);
      } catch {
        ok = false;
      }
      resolve({ ok, seconds: (performance.now() - started) / 1000, result });
    };
    child.on('error', (error) => {
      console.error(`${suite.name}: ${error.message}`);
      finish(false);
    });
    child.on('exit', (code) => finish(code === 0));
  });
}

const summary: Record<string, unknown> = {};
const timings: Array<{ suite: string; status: string; seconds: string }> = [];
for (const suite of suites) {
  if (!existsSync(suite.file)) {
    timings.push({ suite: suite.name, status: 'skipped (absent)', seconds: '' });
    continue;
  }
  console.log(`\n=== ${suite.name} ${suite.args.join(' ')}`.trimEnd());
  const outcome = await runSuite(suite);
  summary[suite.name] = outcome.result;
  timings.push({ suite: suite.name, status: outcome.ok ? 'ok' : 'FAILED', seconds: outcome.seconds.toFixed(1) });
  if (!outcome.ok) process.exitCode = 1;
}

console.log('');
console.table(timings);
console.log(JSON.stringify({ suite: 'all', quick: QUICK, node: process.version, date: new Date().toISOString(), results: summary }));
