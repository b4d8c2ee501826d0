/**
 * The house drawing, checked on the import graph: `src/main → src/shared ← src/worker`, the
 * command-line tool (`src/cli`) a client of the library that nothing in the library imports. Only
 * module imports count (static, `export … from`, dynamic `import()`); worker threads are started
 * by URL, which is not an import.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every .ts file under `dir` (relative to the repository root). */
function tsFilesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(dir, name));
}

/** The repository-relative paths `file` imports by a relative specifier. */
function relativeImportsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
  return info.importedFiles
    .map((ref) => ref.fileName)
    .filter((spec) => spec.startsWith('./') || spec.startsWith('../'))
    .map((spec) => relative(ROOT, resolve(ROOT, dirname(file), spec)));
}

/** Every `file → import` edge from files under `from` into any folder of `into`. */
function edges(from: string, into: readonly string[]): string[] {
  return tsFilesUnder(from).flatMap((file) =>
    relativeImportsOf(file)
      .filter((target) => into.some((folder) => target.startsWith(`${folder}/`)))
      .map((target) => `${file} → ${target}`),
  );
}

test('the import walk sees edges: src/cli imports src/main and src/shared', () => {
  const seen = edges('src/cli', ['src/main', 'src/shared']);
  assert.ok(seen.some((edge) => edge.includes('→ src/main/')), 'an edge into src/main');
  assert.ok(seen.some((edge) => edge.includes('→ src/shared/')), 'an edge into src/shared');
});

test('src/main imports neither src/cli nor src/worker', () => {
  assert.deepEqual(edges('src/main', ['src/cli', 'src/worker']), []);
});

test('src/shared imports none of src/main, src/cli, src/worker', () => {
  assert.deepEqual(edges('src/shared', ['src/main', 'src/cli', 'src/worker']), []);
});

test('src/worker imports neither src/main nor src/cli', () => {
  assert.deepEqual(edges('src/worker', ['src/main', 'src/cli']), []);
});

test('the library subpaths (src/messages, src/node, src/wire) do not import src/cli', () => {
  assert.deepEqual(['src/messages', 'src/node', 'src/wire'].flatMap((folder) => edges(folder, ['src/cli'])), []);
});

/**
 * Bench edges into src/worker, each a thread's own code driven on purpose: the memory probe's
 * shard entry runs the real shard plus a probe, and the ingest path drives a shard's connection
 * on one thread. They go when that code moves to src/shared; the list is exact, so a new edge
 * fails here and so does one that went without leaving the list.
 */
const BENCH_INTO_WORKER = ['bench/ingest-path.ts → src/worker/shard-connection.ts', 'bench/probes/memory-probe-shard.ts → src/worker/shard.ts'];

test('bench imports nothing from test/support, and from src/worker only the listed thread entries', () => {
  assert.deepEqual(edges('bench', ['test/support', 'test/helpers']), []);
  assert.deepEqual(edges('bench', ['src/worker']).sort(), BENCH_INTO_WORKER);
});
