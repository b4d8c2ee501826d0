/**
 * The published package carries the documentation that README.md and the type declarations cite:
 * `npm pack --dry-run` lists every docs/*.md (and not the generated API reference, docs/api/).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { markdownDocuments, REPO } from './support/markdown-documents.ts';

/** npm's own variables from `npm test` (a dry run, a prefix) stay out of the child npm. */
const ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));

test('npm pack lists every docs/*.md, and README.md', async () => {
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO, env: ENV, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  const [pack] = JSON.parse(stdout) as [{ files: { path: string }[] }];
  const packed = new Set(pack.files.map((file) => file.path));
  const missing = markdownDocuments().filter((document) => !packed.has(document));
  assert.deepEqual(missing, []);
  assert.deepEqual([...packed].filter((path) => path.startsWith('docs/api/')), []);
});
