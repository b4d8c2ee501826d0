/**
 * The public surface: what `p2p-socket` and `p2p-socket/wire` export at run time is exactly what
 * docs/api.md lists under "Every name", the core stays within about 60 names, the two entries
 * share none, and internals (the pending-message budget, the abort-reason helper) are exported by
 * neither. package.json maps the wire subpath like the others.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as core from '../src/main/index.ts';
import * as wire from '../src/wire/index.ts';
import { REPO, readDocument } from './support/markdown-documents.ts';

const MAX_CORE_NAMES = 60;

/** The backquoted names of docs/api.md between `from` and `to` (or the end). */
function listedBetween(from: string, to?: string): string[] {
  const text = readDocument('docs/api.md');
  const start = text.indexOf(from);
  assert.ok(start >= 0, `docs/api.md has "${from}"`);
  const end = to === undefined ? text.length : text.indexOf(to, start);
  const section = text.slice(start + from.length, end);
  return [...section.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)].map((match) => match[1] ?? '').sort();
}

const coreHeading = '`p2p-socket`, what a server or client author uses:';
const wireHeading = '`p2p-socket/wire`, the protocol\'s building blocks:';

test('p2p-socket exports exactly the names docs/api.md lists, at most about 60', () => {
  const names = Object.keys(core).sort();
  assert.deepEqual(listedBetween(coreHeading, wireHeading), names);
  assert.ok(names.length <= MAX_CORE_NAMES, `${names.length} names`);
});

test('p2p-socket/wire exports exactly the names docs/api.md lists, none of them also in the core', () => {
  const names = Object.keys(wire).sort();
  assert.deepEqual(listedBetween(wireHeading).filter((name) => name !== 'Stat' && name !== 'P2p_stat' && name !== 'toRecord'), names);
  assert.deepEqual(names.filter((name) => name in core), []);
});

test('internals are exported by neither entry', () => {
  for (const name of ['PendingMessageBudget', 'errorFromAbortReason', 'startAuthentication', 'IO_SCHEDULER', 'OPTIONS_CHECKED']) {
    assert.ok(!(name in core) && !(name in wire), name);
  }
});

test('package.json maps p2p-socket/wire to its source, types and build', () => {
  const exports = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string>> }).exports;
  assert.deepEqual(exports['./wire'], { 'p2p-socket-source': './src/wire/index.ts', types: './dist/wire/index.d.ts', default: './dist/wire/index.js' });
  assert.ok(existsSync(join(REPO, 'src/wire/index.ts')));
});
