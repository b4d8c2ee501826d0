/**
 * The `p2p-socket` command, driven as other programs drive it: child processes, JSON lines on
 * stdout, exit statuses. Every network use is 127.0.0.1, port 0; every wait is bounded.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '../src/main/connect.ts';
import { generateKeyPair, identityFromKeys } from '../src/shared/identity.ts';
import { nodeMetadataConfig } from '../src/shared/wire/metadata.ts';
import { startCli, type CliRun, type Json } from './helpers/cli-process.ts';

/** Longest any single child may run. */
const CHILD_TIMEOUT_MS = 15_000;

type Run = CliRun;

let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2p-socket-cli-'));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Starts the CLI; `done` resolves when it exits (killed after CHILD_TIMEOUT_MS). */
function start(args: readonly string[]): { child: ChildProcess; done: Promise<Run> } {
  return startCli(args, CHILD_TIMEOUT_MS);
}

function run(...args: string[]): Promise<Run> {
  return start(args).done;
}

let files = 0;
function tempPath(name: string): string {
  return join(dir, `${files++}-${name}`);
}

/** Starts `listen` with a ready file and resolves once it is listening. */
async function listen(...args: string[]): Promise<{ port: number; done: Promise<Run>; child: ChildProcess }> {
  const readyFile = tempPath('ready');
  const { done, child } = start(['listen', '--host', '127.0.0.1', '--port', '0', '--ready-file', readyFile, ...args]);
  let exited: Run | undefined;
  void done.then((result) => (exited = result));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (exited) assert.fail(`listener exited early (${exited.code}): ${exited.stderr}${exited.stdout}`);
    const text = await readFile(readyFile, 'utf8').catch(() => undefined);
    if (text !== undefined) {
      assert.match(text, /^[0-9]+$/, 'the ready file holds just the port number');
      return { port: Number(text), done, child };
    }
    await sleep(20);
  }
  assert.fail('listener not ready within 10 s');
}

async function generate(difficulty: number): Promise<{ file: string; run: Run }> {
  const file = tempPath('identity.json');
  const result = await run('identity', 'generate', '--difficulty', String(difficulty), '--out', file, '--json');
  assert.equal(result.code, 0, result.stderr);
  return { file, run: result };
}

test('identity generate then show: same peer id, the stamp meets the difficulty', async () => {
  const { file, run: generated } = await generate(4);
  const summary = generated.summary;
  assert.equal(summary.event, 'summary');
  assert.equal(summary.command, 'identity generate');
  assert.equal(summary.ok, true);
  assert.equal(summary.difficulty, 4);
  assert.match(summary.peer_id, /^id[1-9A-HJ-NP-Za-km-z]{28}$/);
  assert.ok(summary.attempts >= 1 && summary.seconds >= 0 && summary.hashes_per_second >= 0);
  assert.equal(summary.error, null);

  const json = JSON.parse(await readFile(file, 'utf8'));
  assert.deepEqual(Object.keys(json), ['peer_id', 'public_key', 'secret_key', 'proof_of_work_stamp']);
  assert.equal((await stat(file)).mode & 0o777, 0o600);

  const shown = await run('identity', 'show', file, '--difficulty', '4', '--json');
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(shown.summary.ok, true);
  assert.equal(shown.summary.peer_id, summary.peer_id);
  assert.equal(shown.summary.public_key, json.public_key);
  assert.ok(shown.summary.difficulty >= 4);
  assert.equal(shown.summary.checked_difficulty, 4);
  assert.ok(!shown.stdout.includes(json.secret_key), 'the secret key is never printed');

  const human = await run('identity', 'show', file);
  assert.equal(human.code, 0);
  assert.match(human.stdout, new RegExp(`peer id: ${summary.peer_id}`));

  const tooHard = await run('identity', 'show', file, '--difficulty', '200', '--json');
  assert.equal(tooHard.code, 1);
  assert.equal(tooHard.summary.error.code, 'INSUFFICIENT_PROOF_OF_WORK');
});

test('identity show on tampered files gives typed errors and a non-zero exit', async () => {
  const { file } = await generate(0);
  const original = JSON.parse(await readFile(file, 'utf8'));
  const other = identityFromKeys(generateKeyPair().secretKey, Buffer.alloc(24));

  const cases: Array<[string, unknown, string]> = [
    ['peer id of another key', { ...original, peer_id: other.peerId }, 'IDENTITY_MISMATCH'],
    ['secret key of another key', { ...original, secret_key: other.secretKey.toString('hex') }, 'IDENTITY_KEYS_MISMATCH'],
    ['missing stamp', { peer_id: original.peer_id, public_key: original.public_key, secret_key: original.secret_key }, 'INVALID_IDENTITY'],
  ];
  for (const [what, content, code] of cases) {
    const tampered = tempPath('tampered.json');
    await writeFile(tampered, JSON.stringify(content));
    const result = await run('identity', 'show', tampered, '--json');
    assert.notEqual(result.code, 0, what);
    assert.equal(result.summary.ok, false, what);
    assert.equal(result.summary.error.code, code, what);
  }
});

test('listen --echo + connect --expect-echo: both summaries ok, echoes match byte for byte', async () => {
  const listener = await listen('--connections', '1', '--echo', '--json');
  const client = await run('connect', `127.0.0.1:${listener.port}`, '--send', '5', '--size', '1000', '--expect-echo', '--json');
  const server = await listener.done;

  assert.equal(client.code, 0, client.stdout + client.stderr);
  const c = client.summary;
  assert.equal(c.event, 'summary');
  assert.equal(c.command, 'connect');
  assert.equal(c.ok, true);
  assert.equal(c.error, null);
  assert.equal(c.echoes_matched, true);
  assert.equal(c.messages_sent, 5);
  assert.equal(c.messages_received, 5);
  assert.equal(c.bytes_sent, 5000);
  assert.equal(c.bytes_received, 5000);
  assert.ok(c.wire_bytes_sent > 5000 && c.wire_bytes_received > 5000);
  assert.deepEqual(c.announced_version, { chain_name: 'SANDBOXED_MAVRYK', distributed_db_version: 2, p2p_version: 1 });
  assert.deepEqual(c.remote_metadata, { disable_mempool: false, private_node: false });

  assert.equal(server.code, 0, server.stdout + server.stderr);
  assert.equal(server.lines[0]?.event, 'listening');
  assert.equal(server.lines[0]?.port, listener.port);
  const s = server.summary;
  assert.equal(s.command, 'listen');
  assert.equal(s.ok, true);
  assert.equal(s.connections.length, 1);
  const entry = s.connections[0];
  assert.equal(entry.ok, true);
  assert.equal(entry.peer_id, c.local_peer_id);
  assert.equal(c.peer_id, s.local_peer_id);
  assert.equal(entry.messages_received, 5);
  assert.equal(entry.messages_sent, 5);
  assert.equal(entry.bytes_received, 5000);
  assert.ok(entry.wire_bytes_received > 0 && entry.wire_bytes_sent > 0);
  assert.equal(server.lines.filter((line) => line.event === 'connection').length, 1);
});

test('small chunks, private-node and disable-mempool metadata travel (human output)', async () => {
  const listener = await listen('--connections', '1', '--echo', '--chunk-size', '21', '--private-node', '--json');
  const client = await run('connect', `127.0.0.1:${listener.port}`, '--send', '3', '--size', '300', '--expect-echo', '--chunk-size', '19', '--disable-mempool');
  const server = await listener.done;
  assert.equal(client.code, 0, client.stdout + client.stderr);
  assert.match(client.stdout, /private_node=true/);
  assert.match(client.stdout, /echoes matched/);
  assert.match(client.stdout, /^ok$/m);
  assert.equal(server.code, 0, server.stdout);
  assert.deepEqual(server.summary.connections[0].remote_metadata, { disable_mempool: true, private_node: false });
});

test('listen --nack: the connector gets REJECTED_BY_NACK with the motive and the alternative points', async () => {
  const listener = await listen('--connections', '1', '--nack', 'TOO_MANY_CONNECTIONS', '--nack-points', '127.0.0.1:9732', '--json');
  const client = await run('connect', `127.0.0.1:${listener.port}`, '--json');
  const server = await listener.done;

  assert.equal(client.code, 1);
  assert.equal(client.summary.ok, false);
  const error = client.summary.error;
  assert.equal(error.code, 'REJECTED_BY_NACK');
  assert.equal(error.motive, 1);
  assert.equal(error.motive_name, 'Too_many_connections');
  assert.deepEqual(error.alternative_points, ['127.0.0.1:9732']);

  // A nack sent on purpose is the listener's success.
  assert.equal(server.code, 0, server.stdout);
  const entry = server.summary.connections[0];
  assert.equal(entry.ok, true);
  assert.deepEqual(entry.nack_sent, { motive: 1, motive_name: 'Too_many_connections', alternative_points: ['127.0.0.1:9732'] });
});

test('chain mismatch: both ends nack with UNKNOWN_CHAIN_NAME (motive 2)', async () => {
  const listener = await listen('--connections', '2', '--json');
  const client = await run('connect', `127.0.0.1:${listener.port}`, '--chain', 'MAVRYK_MAINNET', '--json');

  // The connector runs the same policy as the listener, so it nacks first and does not read
  // the listener's Nack (protocol.md §11.3: `nack` never reads the peer's chunk #1).
  assert.equal(client.code, 1);
  assert.equal(client.summary.error.code, 'REJECTED_NO_COMMON_PROTOCOL');
  assert.equal(client.summary.error.motive, 2);
  assert.equal(client.summary.error.motive_name, 'Unknown_chain_name');
  assert.equal(client.summary.announced_version.chain_name, 'SANDBOXED_MAVRYK');

  // A peer without that policy (the library, accepting blindly) does see the listener's Nack.
  const identity = identityFromKeys(generateKeyPair().secretKey, Buffer.alloc(24));
  const peer = await connect('127.0.0.1', listener.port, {
    identity,
    announcedVersion: { chainName: 'MAVRYK_MAINNET', distributedDbVersion: 2, p2pVersion: 1 },
    metadata: nodeMetadataConfig({ disableMempool: false, privateNode: false }),
    proofOfWorkDifficulty: 0,
    timeout: 5000,
  });
  await assert.rejects(peer.accept({ timeout: 5000 }), (error: any) => {
    assert.equal(error.code, 'REJECTED_BY_NACK');
    assert.equal(error.motive, 2);
    assert.deepEqual(error.alternativePoints, []);
    return true;
  });

  const server = await listener.done;
  assert.equal(server.code, 1, 'a connection refused for lack of a common protocol is a failed one');
  assert.deepEqual(
    server.summary.connections.map((entry: Json) => [entry.ok, entry.error?.code, entry.error?.motive]),
    [
      [false, 'REJECTED_NO_COMMON_PROTOCOL', 2],
      [false, 'REJECTED_NO_COMMON_PROTOCOL', 2],
    ],
  );
});

test('difficulty mismatch: the listener logs NOT_ENOUGH_PROOF_OF_WORK and serves the next peer', async () => {
  const [listenerIdentity, strongIdentity] = await Promise.all([generate(4), generate(20)]);
  const listener = await listen('--identity', listenerIdentity.file, '--difficulty', '20', '--connections', '2', '--json');

  const weak = await run('connect', `127.0.0.1:${listener.port}`, '--json');
  assert.equal(weak.code, 1);
  assert.equal(weak.summary.ok, false);
  assert.equal(weak.summary.error.code, 'CONNECTION_CLOSED');

  const strong = await run('connect', `127.0.0.1:${listener.port}`, '--identity', strongIdentity.file, '--send', '2', '--json');
  assert.equal(strong.code, 0, strong.stdout + strong.stderr);
  assert.equal(strong.summary.ok, true);

  const server = await listener.done;
  assert.equal(server.code, 1);
  const [first, second] = server.summary.connections;
  assert.equal(first.ok, false);
  assert.equal(first.error.code, 'NOT_ENOUGH_PROOF_OF_WORK');
  assert.equal(first.error.peer_id, weak.summary.local_peer_id);
  assert.equal(second.ok, true);
  assert.equal(second.peer_id, strongIdentity.run.summary.peer_id);
  assert.equal(second.messages_received, 2);
  // Each connection was reported as it ended, before the summary.
  assert.deepEqual(
    server.lines.map((line) => line.event),
    ['listening', 'connection', 'connection', 'summary'],
  );
});

test('bad usage exits 2: chunk size, unknown flag, bad values; --help prints the synopsis', async () => {
  const chunk = await run('connect', '127.0.0.1:9732', '--chunk-size', '18', '--json');
  assert.equal(chunk.code, 2);
  assert.equal(chunk.summary.error.code, 'INVALID_CHUNKS_SIZE');
  assert.equal(chunk.summary.error.min, 19);
  assert.match(chunk.stderr, /invalid chunks size 18/);

  for (const args of [
    ['listen', '--chunk-size', '65536'],
    ['listen', '--bogus'],
    ['connect', '127.0.0.1:9732', '--send'],
    ['connect', 'no-port'],
    ['listen', '--nack', 'NOT_A_MOTIVE'],
    ['listen', '--nack', '1', '--nack-points', 'localhost:9732'],
    ['listen', '--nack-points', '127.0.0.1:9732'],
    ['identity', 'generate', '--difficulty', '300'],
    ['identity', 'show'],
    ['frobnicate'],
    [],
  ]) {
    const result = await run(...args);
    assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, /^p2p-socket: /, args.join(' '));
  }

  const help = await run('--help');
  assert.equal(help.code, 0);
  assert.ok(help.stdout.includes('p2p-socket connect HOST:PORT [--send N] [--size BYTES] [--expect-echo]'));
  assert.ok(help.stdout.includes('        [--private-node] [--disable-mempool] [--chunk-size BYTES] [--timeout MS] [--json]'));
  const listenHelp = await run('listen', '--help');
  assert.equal(listenHelp.code, 0);
  assert.ok(listenHelp.stdout.includes('                   [--nack MOTIVE] [--nack-points a:p,...]'));
});

test('listen stopped by SIGTERM before serving its --connections reports ok: false (INTERRUPTED), exit 1', async () => {
  const { child, done } = await listen('--connections', '1', '--json');
  child.kill('SIGTERM');
  const result = await done;
  assert.equal(result.code, 1, result.stderr);
  assert.equal(result.summary.ok, false);
  assert.equal(result.summary.error.code, 'INTERRUPTED');
  assert.match(result.summary.error.message, /stopped by SIGTERM after serving 0 of --connections 1/);
});

test('connect to a port that is not a P2P node: the timeout says no connection message came', async () => {
  const sockets: Socket[] = [];
  const silent = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
  });
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  try {
    const { port } = silent.address() as AddressInfo;
    const result = await run('connect', `127.0.0.1:${port}`, '--timeout', '500', '--json');
    assert.equal(result.code, 1);
    assert.equal(result.summary.error.code, 'TIMEOUT');
    assert.match(result.summary.error.message, /no connection message from the peer — is this a P2P port\?/);
  } finally {
    for (const socket of sockets) socket.destroy();
    silent.close();
  }
});

test('CLI messages: port out of range, no doubled ENOENT, the identity file named (not its temporary), 1 connection', async () => {
  const outOfRange = await run('connect', '127.0.0.1:99999');
  assert.equal(outOfRange.code, 2);
  assert.match(outOfRange.stderr, /port 99999 is out of range: a TCP port is 1\.\.65535/);

  const target = join(dir, 'no-such-directory', 'identity.json');
  const unwritable = await run('identity', 'generate', '--difficulty', '0', '--out', target);
  assert.equal(unwritable.code, 1);
  assert.match(unwritable.stdout + unwritable.stderr, new RegExp(`ENOENT: cannot write ${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: no such file or directory`));
  assert.doesNotMatch(unwritable.stdout + unwritable.stderr, /ENOENT: ENOENT|\.tmp/);

  const listener = await listen('--connections', '1');
  const client = await run('connect', `127.0.0.1:${listener.port}`);
  assert.equal(client.code, 0, client.stderr);
  assert.match(client.stdout, /sent 1 message \(/);
  const server = await listener.done;
  assert.equal(server.code, 0, server.stderr);
  assert.match(server.stdout, /listen done: 1 connection, 0 failed/);
});
