/**
 * The last line of bench/load.ts is one JSON object whose keys docs/load-benchmark.md lists: every
 * key the script prints is in the list, and every key the list names is printed.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const script = readFileSync(new URL('../bench/load.ts', import.meta.url), 'utf8');
const doc = readFileSync(new URL('../docs/load-benchmark.md', import.meta.url), 'utf8');

/** The keys of the `const json = { … }` literal: `key: value` and shorthand `key,` lines at its depth. */
function printedKeys(): Set<string> {
  const start = script.indexOf('  const json = {\n');
  const end = script.indexOf('\n  };\n', start);
  assert.ok(start >= 0 && end > start, 'bench/load.ts builds its JSON line in `const json = { … }`');
  const keys = [...script.slice(start, end).matchAll(/^ {4}([a-z][a-z0-9_]*)(?::|,$)/gm)].map((m) => m[1]!);
  return new Set(keys);
}

/** Every `key` named in the rows of the table under "## JSON keys". */
function documentedKeys(): Set<string> {
  const start = doc.indexOf('## JSON keys');
  const end = doc.indexOf('\n## ', start + 1);
  assert.ok(start >= 0, 'docs/load-benchmark.md has a "JSON keys" section');
  const rows = doc
    .slice(start, end < 0 ? undefined : end)
    .split('\n')
    .filter((line) => line.startsWith('|'));
  const keys = rows.flatMap((row) => [...row.matchAll(/`([a-z][a-z0-9_]*)`/g)].map((m) => m[1]!));
  return new Set(keys);
}

test('every key of the JSON line is listed in docs/load-benchmark.md, and every listed key is printed', () => {
  const printed = printedKeys();
  const documented = documentedKeys();
  assert.ok(printed.size > 50, `${printed.size} keys found in bench/load.ts`);
  assert.deepEqual([...printed].filter((k) => !documented.has(k)), [], 'printed but not documented');
  assert.deepEqual([...documented].filter((k) => !printed.has(k)), [], 'documented but not printed');
});
