/**
 * The piscina pool that runs proof-of-work rounds (src/worker/pow-job.ts) for `generateIdentity`
 * and `generateIdentities`.
 *
 * Its workers start with require(esm) turned off. piscina loads a task file with `require()`
 * first and turns to `import()` only when that throws; with require(esm) on (Node's default since
 * 22.12), `require()` takes our ES module, and a pool torn down while one of its workers is still
 * inside that `require()` aborts the whole process: a native assertion in Node 24.21
 * (`ModuleWrap::CreateRequiredModuleFacade`, `facade->InstantiateModule(...).IsJust()`).
 * `generateIdentity({ difficulty: 1, threads: 4 })` 40 times in a row aborted 2 processes in 6
 * (test/pow-pool-teardown.test.ts). With the flag off, `require()` throws ERR_REQUIRE_ESM at once
 * and piscina imports the module, which a terminated worker simply abandons.
 *
 * An explicit `execArgv` means the workers do not inherit the application's Node flags (V8 flags
 * such as `--expose-gc` are refused in a worker's `execArgv` anyway); a proof-of-work round needs
 * none. On a Node that no longer knows the flag, it is left out.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';
import type { IdentityRoundRequest, IdentityRoundResult } from '../shared/identity.ts';

/** piscina, loaded by the first pool rather than with the library (most programs never need one). */
const requireFromHere = createRequire(import.meta.url);

/**
 * The piscina task module, next to this file's directory under `worker/`. The extension follows
 * this module's own: the sources run as `.ts` (type stripping) and the build emits `.js`.
 */
export const POW_JOB_URL = new URL(`../worker/pow-job${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

const NO_REQUIRE_ESM = '--no-experimental-require-module';

/** `threads` workers running the proof-of-work task, all started at once, one round at a time each. */
export function createPowPool(threads: number): Piscina<IdentityRoundRequest, IdentityRoundResult> {
  return createTaskPool<IdentityRoundRequest, IdentityRoundResult>(fileURLToPath(POW_JOB_URL), threads);
}

/** A piscina pool of `threads` workers for the task module at `filename`, started as above. */
export function createTaskPool<Request, Result>(filename: string, threads: number): Piscina<Request, Result> {
  const { Piscina: PiscinaClass } = requireFromHere('piscina') as { Piscina: typeof Piscina };
  return new PiscinaClass<Request, Result>({
    filename,
    minThreads: threads,
    maxThreads: threads,
    ...(process.allowedNodeEnvironmentFlags.has(NO_REQUIRE_ESM) ? { execArgv: [NO_REQUIRE_ESM] } : {}),
  });
}
