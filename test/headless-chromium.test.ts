/**
 * The browser the page tests use comes with `npm install` (test/support/headless-chromium.ts):
 * unpacked once, safely when two test processes unpack at the same time, and a clear failure,
 * never a skip, when no browser can be had.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HELPER = fileURLToPath(new URL('./support/headless-chromium.ts', import.meta.url));

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2p-socket-chromium-cache-'));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A separate Node process that runs `code` with the helper imported as `helper`; its stdout. */
function helperProcess(code: string, env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = `const helper = await import(${JSON.stringify(HELPER)});\n${code}`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { env, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

test('two processes unpacking into an empty cache at once both get the same complete browser', async () => {
  const cache = join(dir, 'cache');
  const unpack = `console.log(await helper.unpackBundledChromium(${JSON.stringify(cache)}));`;
  const [first, second] = await Promise.all([helperProcess(unpack), helperProcess(unpack)]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(second.code, 0, second.stderr);
  const unpacked = first.stdout.trim();
  assert.equal(second.stdout.trim(), unpacked);
  assert.ok((await stat(join(unpacked, 'chromium'))).size > 100 * 1024 * 1024, 'the whole browser binary');
  assert.ok(existsSync(join(unpacked, 'libraries', 'lib', 'libnss3.so')), 'the NSS libraries');
  assert.ok(existsSync(join(unpacked, 'fonts.conf')), 'the fonts');
  assert.deepEqual((await readdir(cache)).filter((name) => name.includes('.partial-')), [], 'no half-unpacked copy is left');
  // A later call reuses the folder.
  const again = await helperProcess(unpack);
  assert.equal(again.stdout.trim(), unpacked);
});

test('a browser that cannot be had is an error naming what was tried', async () => {
  const missing = join(dir, 'no-such-chromium');
  const run = await helperProcess('await helper.headlessChromium();', { ...process.env, CHROMIUM_PATH: missing });
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, new RegExp(`CHROMIUM_PATH=${missing} does not run: .*ENOENT`));
});
