/**
 * The package as users get it: packed and installed from the tarball, installed from a folder and
 * from git, then imported from plain JavaScript, type-checked from a strict TypeScript consumer,
 * and run under an older Node (which must fail at import, naming the version and why).
 *
 * Installs are offline-friendly (`--prefer-offline`: every dependency is already in npm's cache
 * after the repository's own `npm install`). Each step is bounded by STEP_TIMEOUT_MS.
 *
 * The file name sorts first on purpose: this is the slowest file (the git install alone installs
 * every devDependency), and `node --test` starts files in name order, so the rest of the suite
 * runs beside it instead of after it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { supportsSocketTransfer } from '../src/main/node-version.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
const STEP_TIMEOUT_MS = 90_000;

interface Output {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** npm's own variables from `npm test` must not leak into the installs we start. */
const CLEAN_ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
/** The Node running this test (>= 24.20) first on PATH, so bins with `#!/usr/bin/env node` use it. */
const NODE24_ENV = { ...CLEAN_ENV, PATH: `${dirname(process.execPath)}${delimiter}${CLEAN_ENV.PATH ?? ''}` };

function exec(file: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = NODE24_ENV): Promise<Output> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env, timeout: STEP_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

async function npm(args: readonly string[], cwd: string): Promise<Output> {
  const result = await exec('npm', args, cwd);
  assert.equal(result.code, 0, `npm ${args.join(' ')} failed:\n${result.stderr}`);
  return result;
}

const INSTALL_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

let dir = '';
let tarball = '';
let consumers = 0;

/** A fresh consumer project with `spec` installed. */
async function consumerWith(spec: string): Promise<string> {
  const consumer = join(dir, `consumer-${consumers++}`);
  await mkdir(consumer);
  await writeFile(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await npm(['install', spec, ...INSTALL_FLAGS], consumer);
  return consumer;
}

/** Plain JS that uses the public API end to end: a pool, a client, one echoed message. */
const PLAIN_JS_CONSUMER = `
import { Pool, connect, generateIdentity, emptyMetadataConfig, SANDBOXED_MAVRYK } from 'p2p-socket';
const server = await generateIdentity({ difficulty: 0 });
const client = await generateIdentity({ difficulty: 0 });
const pool = new Pool({ identity: server.identity, chainName: SANDBOXED_MAVRYK, metadata: emptyMetadataConfig, workers: 1, proofOfWorkDifficulty: 0 });
pool.on('connection', async (conn) => { for await (const { message } of conn) await conn.write(message); });
const { port } = await pool.listen({ host: '127.0.0.1', port: 0 });
const peer = await connect('127.0.0.1', port, {
  identity: client.identity, proofOfWorkDifficulty: 0, metadata: emptyMetadataConfig, timeout: 10000,
  announcedVersion: { chainName: SANDBOXED_MAVRYK, distributedDbVersion: 2, p2pVersion: 1 },
});
const conn = await peer.accept();
await conn.write(Buffer.from('ping'));
const { message } = await conn.read();
await conn.close();
await pool.close();
console.log(Buffer.from(message).toString());
`;

/** A strict nodenext consumer: compiles only if the published types say what the API is. */
const TYPESCRIPT_CONSUMER = `
import { Pool, connect, generateIdentity, emptyMetadataConfig, P2pError, type Connection, type PoolOptions } from 'p2p-socket';
const { identity } = await generateIdentity({ difficulty: 0 });
const options: PoolOptions<Uint8Array, unknown> = { identity, chainName: 'X', metadata: emptyMetadataConfig, workers: 0 };
const pool = new Pool(options);
pool.on('connection', async (conn: Connection<Uint8Array, unknown>) => {
  for await (const { message, size } of conn) {
    const n: number = size + message.length;
    if (!conn.writeNow(message)) await conn.writable();
    void n;
  }
});
try {
  const peer = await connect('127.0.0.1', 1, { identity, metadata: emptyMetadataConfig, announcedVersion: { chainName: 'X', distributedDbVersion: 2, p2pVersion: 1 } });
  const conn = await peer.accept();
  const version: number = conn.info.negotiatedVersion.p2pVersion;
  await conn.close({ wait: true, signal: AbortSignal.timeout(1000) });
  void version;
} catch (error) {
  if (error instanceof P2pError && error.code === 'TIMEOUT') console.log(error.message);
}
// @ts-expect-error a chain name is a string
new Pool({ ...options, chainName: 1 });
`;

const STRICT_TSCONFIG = {
  compilerOptions: {
    target: 'es2024',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    noEmit: true,
    skipLibCheck: false,
    types: ['node'],
    typeRoots: [join(REPO, 'node_modules', '@types')],
  },
  files: ['consumer.ts'],
};

/** The same consumer with the pre-`exports` resolution of older TypeScript setups (top-level `types`). */
const NODE10_TSCONFIG = {
  compilerOptions: { ...STRICT_TSCONFIG.compilerOptions, module: 'preserve', moduleResolution: 'node10' },
  files: ['consumer.ts'],
};

async function checkImportsAndRunsBin(consumer: string): Promise<void> {
  await writeFile(join(consumer, 'consumer.mjs'), PLAIN_JS_CONSUMER);
  const imported = await exec(process.execPath, ['consumer.mjs'], consumer);
  assert.equal(imported.code, 0, imported.stderr);
  assert.equal(imported.stdout.trim(), 'ping');
  const bin = await exec(join(consumer, 'node_modules', '.bin', 'p2p-socket'), ['identity', 'generate', '--difficulty', '0', '--json'], consumer);
  assert.equal(bin.code, 0, bin.stderr);
  assert.equal(JSON.parse(bin.stdout.trim().split('\n').at(-1)!).ok, true);
}

/** A Node on PATH that cannot run the library, to run the installed copy under. */
async function olderNode(): Promise<{ node: string; args: string[] }> {
  for (const directory of (CLEAN_ENV.PATH ?? '').split(delimiter)) {
    if (directory === '' || directory.includes('node_modules')) continue;
    const node = join(directory, 'node');
    const version = await exec(node, ['-p', 'process.versions.node'], REPO, CLEAN_ENV).catch(() => undefined);
    if (version?.code === 0 && !supportsSocketTransfer(version.stdout.trim())) return { node, args: [] };
  }
  // No older Node here: this one, told it is 20.0.0 before anything loads.
  const pretend = "Object.defineProperty(process.versions, 'node', { value: '20.0.0' })";
  return { node: process.execPath, args: ['--import', `data:text/javascript,${encodeURIComponent(pretend)}`] };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2p-socket-install-'));
  const packed = await npm(['pack', '--json', '--pack-destination', dir, '--loglevel=error'], REPO);
  const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
  tarball = join(dir, filename);
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

// The installs are independent (each its own consumer project): run them side by side, so the
// file takes about as long as the git install alone.
describe('installs', { concurrency: true }, () => {
  test('the packed tarball: plain JS imports it and talks to itself, the bin runs', async () => {
    const consumer = await consumerWith(tarball);
    const files = await readdir(join(consumer, 'node_modules', 'p2p-socket', 'dist', 'main'));
    assert.ok(files.includes('index.js') && files.includes('index.d.ts'), 'the tarball carries dist/');
    await checkImportsAndRunsBin(consumer);

    await writeFile(join(consumer, 'consumer.ts'), TYPESCRIPT_CONSUMER);
    await writeFile(join(consumer, 'tsconfig.json'), JSON.stringify(STRICT_TSCONFIG));
    const strict = await exec(process.execPath, [TSC, '-p', 'tsconfig.json'], consumer);
    assert.equal(strict.code, 0, `strict nodenext consumer:\n${strict.stdout}${strict.stderr}`);
    await writeFile(join(consumer, 'tsconfig.node10.json'), JSON.stringify(NODE10_TSCONFIG));
    const node10 = await exec(process.execPath, [TSC, '-p', 'tsconfig.node10.json'], consumer);
    assert.equal(node10.code, 0, `node10-resolution consumer (top-level types):\n${node10.stdout}${node10.stderr}`);

    // An older Node: the import fails at once, with the version needed and why; so does the bin,
    // telling an installed copy's user to install a newer Node (not to use npm scripts).
    const old = await olderNode();
    const imported = await exec(old.node, [...old.args, 'consumer.mjs'], consumer, CLEAN_ENV);
    assert.equal(imported.code, 1);
    assert.match(imported.stderr, /p2p-socket needs Node\.js >= 24\.20 \(or >= 26\.6\); this is v?20\./);
    assert.match(imported.stderr, /worker threads/);
    assert.match(imported.stderr, /code: 'UNSUPPORTED_NODE_VERSION'/);
    const bin = await exec(old.node, [...old.args, join(consumer, 'node_modules', 'p2p-socket', 'bin', 'p2p-socket.js'), 'identity', 'show', 'x'], consumer, CLEAN_ENV);
    assert.equal(bin.code, 1);
    assert.match(bin.stderr, /needs Node\.js >= 24\.20/);
    assert.match(bin.stderr, /Install a newer Node\.js/);
    assert.doesNotMatch(bin.stderr, /npm install|npx/);
  });

  test('the bin of a clone on an older Node says to npm install and use the project Node', async () => {
    const old = await olderNode();
    const bin = await exec(old.node, [...old.args, join(REPO, 'bin', 'p2p-socket.js'), 'identity', 'show', 'x'], REPO, CLEAN_ENV);
    assert.equal(bin.code, 1);
    assert.match(bin.stderr, /needs Node\.js >= 24\.20/);
    assert.match(bin.stderr, /In this clone, run 'npm install' once/);
  });

  test('a folder install builds dist/ (prepare) and imports', async () => {
    const consumer = await consumerWith(REPO);
    await checkImportsAndRunsBin(consumer);
  });

  test('a git install builds dist/ (prepare) and imports; npm ci accepts the lockfile', async () => {
    // A repository holding the working tree as it is (committed or not), installed by git URL.
    const repo = join(dir, 'git-repo');
    const listed = await exec('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], REPO);
    assert.equal(listed.code, 0, listed.stderr);
    // Regular files only: a tracked file deleted in the working tree, or a symlink, is left out.
    const files = listed.stdout.split('\0').filter((file) => file !== '' && lstatSync(join(REPO, file), { throwIfNoEntry: false })?.isFile());
    await mkdir(repo);
    const copied = await exec('cp', ['--parents', '-t', repo, ...files], REPO);
    assert.equal(copied.code, 0, copied.stderr);
    for (const args of [['init', '-q'], ['add', '-A'], ['-c', 'user.name=test', '-c', 'user.email=test@localhost', 'commit', '-qm', 'snapshot']]) {
      const git = await exec('git', args, repo);
      assert.equal(git.code, 0, git.stderr);
    }
    // The lockfile agrees with package.json: what `npm ci` checks first (it refuses otherwise).
    await npm(['ci', '--dry-run', '--ignore-scripts', ...INSTALL_FLAGS], repo);
    const consumer = await consumerWith(`git+${pathToFileURL(repo).href}`);
    await checkImportsAndRunsBin(consumer);
  });
});
