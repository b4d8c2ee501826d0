/**
 * Summarizes V8 CPU profiles (`node --cpu-prof`): the functions with the most self time, and
 * their total (inclusive) time, per profile.
 *
 * Run: ./node_modules/.bin/node bench/profile-summary.ts [--top=25] [--callers=8] [--last=S] FILE.cpuprofile...
 *   --last=S: only the profile's last S seconds (a bench/load.ts run's measured window, without
 *   its handshakes and start-up).
 *   --callers=N: for the N functions with the most self time, the call paths (4 frames up) that
 *   spent it; that is how a `createUnsafeBuffer` or an anonymous native frame is traced to us.
 * Typical use: node bench/bulk-loopback.ts --kinds=p2p --repeats=1 --profile=/tmp/prof, then
 * this script on /tmp/prof/*.cpuprofile.
 */
import { readFileSync } from 'node:fs';
import { basename, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { argValue, countArg, numberArg } from './common.ts';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** `name (file:line)`, with paths relative to the repository and node internals shortened. */
function label(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  let file = frame.url.startsWith('file://') ? relative(ROOT, fileURLToPath(frame.url)) : frame.url;
  if (file.includes('node_modules/')) file = file.slice(file.lastIndexOf('node_modules/') + 'node_modules/'.length);
  return `${name} (${file}:${frame.lineNumber + 1})`;
}

export interface FunctionTime {
  readonly label: string;
  selfMs: number;
  totalMs: number;
  /** Self milliseconds by call path (the callers, nearest first). */
  readonly paths: Map<string, number>;
}

/** Frames of caller context kept per call path. */
const PATH_DEPTH = 4;

/** Self and total milliseconds per function (keyed by name and location) of one profile. */
export function summarize(profile: CpuProfile, lastMs = Infinity): { readonly functions: FunctionTime[]; readonly totalMs: number } {
  const byId = new Map<number, ProfileNode>(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<number, number>();
  // --last: only the samples of the profile's last `lastMs` (a load run's steady window, not its setup).
  const fromUs = profile.endTime - lastMs * 1000;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (at < fromUs) continue;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const functions = new Map<string, FunctionTime>();
  const entry = (node: ProfileNode): FunctionTime => {
    const key = label(node.callFrame);
    let found = functions.get(key);
    if (!found) {
      found = { label: key, selfMs: 0, totalMs: 0, paths: new Map() };
      functions.set(key, found);
    }
    return found;
  };
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    totalUs += us;
    const node = byId.get(id)!;
    const own = entry(node);
    own.selfMs += us / 1000;
    const callers: string[] = [];
    for (let up = parent.get(id); up !== undefined && callers.length < PATH_DEPTH; up = parent.get(up)) {
      callers.push(label(byId.get(up)!.callFrame));
    }
    const path = callers.join(' <- ');
    own.paths.set(path, (own.paths.get(path) ?? 0) + us / 1000);
    // Inclusive time: once per distinct function on the stack (recursion counted once).
    const seen = new Set<FunctionTime>();
    for (let up: number | undefined = id; up !== undefined; up = parent.get(up)) {
      const fn = entry(byId.get(up)!);
      if (seen.has(fn)) continue;
      seen.add(fn);
      fn.totalMs += us / 1000;
    }
  }
  return { functions: [...functions.values()], totalMs: totalUs / 1000 };
}

function main(): void {
  const argv = process.argv.slice(2);
  const top = Math.round(numberArg(argv, 'top', 25));
  const callers = countArg(argv, 'callers', 0);
  const lastMs = numberArg(argv, 'last', Infinity) * 1000;
  const files = argv.filter((arg) => !arg.startsWith('--') && arg !== argValue(argv, 'top') && arg !== argValue(argv, 'callers') && arg !== argValue(argv, 'last'));
  if (files.length === 0) {
    console.error('usage: node bench/profile-summary.ts [--top=25] FILE.cpuprofile...');
    process.exitCode = 2;
    return;
  }
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const { functions, totalMs } = summarize(profile, lastMs);
    const idle = functions.find((f) => f.label === '(idle)')?.selfMs ?? 0;
    console.log(`\n${basename(file)}: ${(totalMs / 1000).toFixed(2)} s sampled, ${((100 * idle) / totalMs).toFixed(1)}% idle`);
    functions.sort((a, b) => b.selfMs - a.selfMs);
    console.table(
      functions
        .slice(0, top)
        .map((f) => ({
          function: f.label,
          'self ms': f.selfMs.toFixed(0),
          'self %': ((100 * f.selfMs) / totalMs).toFixed(1),
          'self % of busy': f.label === '(idle)' ? '' : ((100 * f.selfMs) / (totalMs - idle)).toFixed(1),
          'total %': ((100 * f.totalMs) / totalMs).toFixed(1),
        })),
    );
    const traced = functions.filter((f) => !['(idle)', '(program)', '(garbage collector)'].includes(f.label)).slice(0, callers);
    for (const f of traced) {
      console.log(`  ${f.label}: ${f.selfMs.toFixed(0)} ms self, by call path`);
      const paths = [...f.paths].sort((a, b) => b[1] - a[1]).slice(0, 3);
      for (const [path, ms] of paths) console.log(`    ${ms.toFixed(0).padStart(6)} ms  <- ${path || '(root)'}`);
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
