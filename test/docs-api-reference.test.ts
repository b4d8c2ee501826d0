/**
 * The API reference is generated from the TSDoc of the public entry point (`npm run docs:api`,
 * TypeDoc, typedoc.json) without a warning: every `{@link}` resolves, and every type the public
 * API mentions is itself exported, so the reference has no dangling names. Validation only: no
 * files are written.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './support/markdown-documents.ts';

test('TypeDoc builds the API reference from src/main/index.ts with no warning', async () => {
  const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
    execFile(process.execPath, [join(REPO, 'node_modules/typedoc/bin/typedoc'), '--emit', 'none', '--logLevel', 'Warn'], { cwd: REPO, timeout: 90_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, output: `${stdout}${stderr}` });
    });
  });
  assert.equal(result.output.replace(/\x1b\[[0-9;]*m/g, '').trim(), '');
  assert.equal(result.code, 0);
});
