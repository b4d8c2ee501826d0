/**
 * Every install line of the README's Install section, run as written from a project beside a
 * fresh `git clone` of the current commit (uncommitted changes are not in it: commit first), each
 * line with a clone of its own in a temporary folder with nothing else around it. Each installed
 * copy is imported from plain JavaScript that talks to itself and its bin is run; the tarball's
 * copy is also type-checked from a strict TypeScript consumer and run under an older Node (which
 * must fail at import, naming the version and why), and the README's one line for a consumer on
 * an older Node is run in that project.
 *
 * Installs are offline-friendly (npm's `prefer-offline`, set through the environment so the lines
 * run as written: every dependency is already in npm's cache after the repository's own
 * `npm install`). Each step is bounded by STEP_TIMEOUT_MS.
 *
 * The file name sorts first on purpose: this is the slowest file (each install line installs the
 * clone's devDependencies and builds dist/), and `node --test` starts files in name order, so the
 * rest of the suite runs beside it instead of after it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { olderNode } from './support/older-node.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
const STEP_TIMEOUT_MS = 360_000;
/** A whole install line's test: its install and every check after it. */
const LINE_TIMEOUT_MS = 2 * STEP_TIMEOUT_MS;

interface Output {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** npm's own variables from `npm test` must not leak into the installs we start. */
const CLEAN_ENV = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
/** The Node running this test (>= 24.20) first on PATH, so bins with `#!/usr/bin/env node` use it. */
const NODE24_ENV = { ...CLEAN_ENV, PATH: `${dirname(process.execPath)}${delimiter}${CLEAN_ENV.PATH ?? ''}` };
/** The README's lines run as written; npm's settings for a quiet, cache-first install come from here. */
const LINE_ENV = {
  ...NODE24_ENV,
  npm_config_prefer_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_loglevel: 'error',
};

function exec(file: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = NODE24_ENV): Promise<Output> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env, timeout: STEP_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A README line, through the shell as a user types it, in `cwd`. */
async function shell(line: string, cwd: string, env: NodeJS.ProcessEnv = LINE_ENV): Promise<Output> {
  const result = await exec('sh', ['-c', line], cwd, env);
  assert.equal(result.code, 0, `${line} failed in ${cwd}:\n${result.stdout}${result.stderr}`);
  return result;
}

/** The Install section of the README: its ```console lines (comments and all), and its prose. */
async function installSection(): Promise<{ lines: string[]; text: string }> {
  const readme = await readFile(join(REPO, 'README.md'), 'utf8');
  const text = readme.slice(readme.indexOf('\n## Install\n'), readme.indexOf('\n## ', readme.indexOf('\n## Install\n') + 1));
  const lines = [...text.matchAll(/```console\n([\s\S]*?)```/g)].flatMap((block) => block[1]!.split('\n')).filter((line) => line.trim() !== '' && !line.startsWith('#'));
  return { lines, text };
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


/** The tarball's extra checks: dist/ is in it, strict TypeScript consumers compile, an older Node is refused. */
async function checkTarballCopy(consumer: string): Promise<void> {
  const files = await readdir(join(consumer, 'node_modules', 'p2p-socket', 'dist', 'main'));
  assert.ok(files.includes('index.js') && files.includes('index.d.ts'), 'the tarball carries dist/');

  await writeFile(join(consumer, 'consumer.ts'), TYPESCRIPT_CONSUMER);
  await writeFile(join(consumer, 'tsconfig.json'), JSON.stringify(STRICT_TSCONFIG));
  const strict = await exec(process.execPath, [TSC, '-p', 'tsconfig.json'], consumer);
  assert.equal(strict.code, 0, `strict nodenext consumer:\n${strict.stdout}${strict.stderr}`);
  await writeFile(join(consumer, 'tsconfig.node10.json'), JSON.stringify(NODE10_TSCONFIG));
  const node10 = await exec(process.execPath, [TSC, '-p', 'tsconfig.node10.json'], consumer);
  assert.equal(node10.code, 0, `node10-resolution consumer (top-level types):\n${node10.stdout}${node10.stderr}`);

  // An older Node: the import fails at once, with the version needed and why; so does the bin,
  // telling an installed copy's user to install a newer Node (not to use npm scripts).
  const old = olderNode(CLEAN_ENV.PATH);
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
}

/**
 * The README's line for a consumer on an older Node, run in `consumer` with the older Node first
 * on PATH (this one when the machine has none): afterwards `npx node` is a Node 24 that runs the
 * library.
 */
async function checkNodeForOlderConsumers(consumer: string, line: string): Promise<void> {
  const old = olderNode(CLEAN_ENV.PATH);
  const env = { ...LINE_ENV, PATH: `${dirname(old.node)}${delimiter}${CLEAN_ENV.PATH ?? ''}` };
  await shell(line, consumer, env);
  const version = await shell('npx node -p process.version', consumer, env);
  assert.match(version.stdout.trim(), /^v24\./);
  const imported = await shell('npx node consumer.mjs', consumer, env);
  assert.equal(imported.stdout.trim(), 'ping');
}

let dir = '';
let head = '';
let lines: string[] = [];
let nodeLine = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2p-socket-install-'));
  const rev = await exec('git', ['rev-parse', 'HEAD'], REPO);
  assert.equal(rev.code, 0, rev.stderr);
  head = rev.stdout.trim();
  const section = await installSection();
  lines = section.lines;
  nodeLine = /`(npm install node@\d+)`/.exec(section.text)?.[1] ?? '';
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A folder of its own holding a fresh clone of the current commit (`p2p-socket`) and an empty project beside it. */
async function cloneAndProject(name: string): Promise<string> {
  const place = join(dir, name);
  await mkdir(place);
  for (const args of [
    ['clone', '--quiet', '--no-checkout', REPO, 'p2p-socket'],
    ['-C', 'p2p-socket', 'checkout', '--quiet', '-B', 'main', head],
  ]) {
    const git = await exec('git', args, place);
    assert.equal(git.code, 0, git.stderr);
  }
  const project = join(place, 'project');
  await mkdir(project);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'project', private: true, type: 'module' }));
  return project;
}

type Kind = 'folder' | 'git' | 'tarball';
function kindOf(line: string): Kind | undefined {
  if (/^npm pack \.\.\/p2p-socket && npm install \.\/p2p-socket-[\d.]+\.tgz\b/.test(line)) return 'tarball';
  if (/^npm install "git\+file:\/\/\$\(realpath \.\.\/p2p-socket\)"/.test(line)) return 'git';
  if (/^npm install \.\.\/p2p-socket\b/.test(line)) return 'folder';
  return undefined;
}

test("the README's Install section has a line for each install path and the line for an older Node", () => {
  assert.deepEqual(lines.map((line) => kindOf(line) ?? `a line this file does not run: ${line}`).sort(), ['folder', 'git', 'tarball']);
  assert.notEqual(nodeLine, '', 'the Install section names `npm install node@NN` for consumers on an older Node');
});

// One line after another (each with its own clone and project): each line is a whole install and
// build, and the rest of the suite runs beside this file.
for (const kind of ['folder', 'git', 'tarball'] as const) {
  test(`the README's ${kind} install line, from a fresh clone: plain JS imports the copy and talks to itself, the bin runs`, { timeout: LINE_TIMEOUT_MS }, async () => {
    const line = lines.find((candidate) => kindOf(candidate) === kind);
    assert.ok(line !== undefined, `the README has no ${kind} install line`);
    const project = await cloneAndProject(kind);
    // The folder line also shows that `npm ci` accepts the lockfile: prepare runs it in the clone.
    await shell(line, project);
    await checkImportsAndRunsBin(project);
    if (kind === 'tarball') {
      await checkTarballCopy(project);
      await checkNodeForOlderConsumers(project, nodeLine);
    }
  });
}

test('the bin of a clone on an older Node says to npm install and use the project Node', async () => {
  const old = olderNode(CLEAN_ENV.PATH);
  const bin = await exec(old.node, [...old.args, join(REPO, 'bin', 'p2p-socket.js'), 'identity', 'show', 'x'], REPO, CLEAN_ENV);
  assert.equal(bin.code, 1);
  assert.match(bin.stderr, /needs Node\.js >= 24\.20/);
  assert.match(bin.stderr, /In this clone, run 'npm install' once/);
});
