/**
 * npm scripts on a Node that cannot run the project stop at once with a message naming the cause
 * and the fix (scripts/check-runtime.js): the project's Node missing (no `npm install`), or its
 * install script skipped (`npm install --ignore-scripts`), and never a raw
 * `ERR_UNKNOWN_FILE_EXTENSION` from a `.ts` file. Each case is a copy of the project's
 * package.json and check in a temporary folder, run with a Node older than 24.20 and a PATH
 * without the project's node_modules/.bin.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { olderNode } from './support/older-node.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const OLD = olderNode();
/** npm and its scripts on the older Node: it comes first on PATH, and nothing of node_modules does. */
const OLD_ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_'))),
  PATH: [dirname(OLD.node), ...(process.env['PATH'] ?? '').split(delimiter).filter((entry) => entry !== '' && !entry.includes('node_modules'))].join(delimiter),
  NODE_OPTIONS: OLD.nodeOptions,
};

interface Output {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[], cwd: string): Promise<Output> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env: OLD_ENV, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2p-socket-runtime-check-'));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A copy of the project as npm leaves it: package.json, the check, the sources; `node` as given. */
async function project(name: string, nodePackage: 'absent' | 'without-binary'): Promise<string> {
  const root = join(dir, name);
  await mkdir(join(root, 'scripts'), { recursive: true });
  await copyFile(join(REPO, 'package.json'), join(root, 'package.json'));
  await copyFile(join(REPO, 'scripts', 'check-runtime.js'), join(root, 'scripts', 'check-runtime.js'));
  await symlink(join(REPO, 'src'), join(root, 'src'));
  if (nodePackage === 'without-binary') {
    // What `npm install --ignore-scripts` leaves: the package, without the binary its preinstall fetches.
    await mkdir(join(root, 'node_modules', 'node'), { recursive: true });
    await copyFile(join(REPO, 'node_modules', 'node', 'package.json'), join(root, 'node_modules', 'node', 'package.json'));
  }
  return root;
}

test('npm test after npm install --ignore-scripts names the skipped install script and the fix', async () => {
  const root = await project('ignored-scripts', 'without-binary');
  const result = await run('npm', ['test'], root);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /p2p-socket needs Node >= 24\.20 .*this is v?20\./);
  assert.match(result.stderr, /its install script, which fetches Node 24, did not run/);
  assert.match(result.stderr, /npm install --ignore-scripts/);
  assert.match(result.stderr, /Run 'npm rebuild node'/);
  assert.doesNotMatch(result.stderr, /run 'npm install' first/);
});

test('npm test with no npm install says to run npm install', async () => {
  const root = await project('not-installed', 'absent');
  const result = await run('npm', ['test'], root);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /The project's Node is not installed: run 'npm install' first/);
});

test('npm run demo on an older Node stops with the runtime message, not ERR_UNKNOWN_FILE_EXTENSION', async () => {
  const root = await project('demo', 'without-binary');
  const result = await run('npm', ['run', 'demo'], root);
  assert.notEqual(result.code, 0);
  assert.doesNotMatch(result.stderr, /ERR_UNKNOWN_FILE_EXTENSION/);
  assert.match(result.stderr, /p2p-socket needs Node >= 24\.20/);
  assert.match(result.stderr, /Run 'npm rebuild node'/);
});

test('every npm script that runs a .ts file checks the runtime first', async () => {
  const { scripts } = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const unchecked = Object.entries(scripts)
    .filter(([, command]) => /\bnode\b[^&|;]*\.ts\b|--conditions=p2p-socket-source/.test(command))
    .filter(([, command]) => !command.startsWith('node scripts/check-runtime.js && '))
    .map(([name]) => name);
  assert.deepEqual(unchecked, []);
});
