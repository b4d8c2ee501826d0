/**
 * What a peer sends never reaches the terminal raw: a chain name full of escape sequences, bells
 * and line breaks, 65,000 bytes long, is printed escaped and cut short in the human output of
 * `connect`, of `listen` and of `listen --workers N` (both pool modes), in the peer's line and in
 * the error messages that quote it. Scripted hostile peers on 127.0.0.1, port 0; fast-check for
 * the escaping itself.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { asciiJson, MESSAGE_LIMIT, NAME_LIMIT, peerText } from '../src/cli/peer-text.ts';
import type { NetworkVersion } from '../src/shared/wire/network-version.ts';
import { makeIdentity, rawClient } from './support/fixtures.ts';
import { ScriptedPeer } from './support/scripted-peer.ts';
import { silentResponder } from './support/scripted-responder.ts';
import { readyPort, startCli, type CliRun } from './helpers/cli-process.ts';

const CHILD_TIMEOUT_MS = 30_000;
/** A window title, a bell, a line rewritten from its start, then 65,000 bytes in all. */
const HOSTILE_HEAD = '\x1b]0;pwned\x07\r\n\x1b[2J\x9b31m';
const HOSTILE_CHAIN = HOSTILE_HEAD + 'A'.repeat(65_000 - HOSTILE_HEAD.length);
const HOSTILE_VERSION: NetworkVersion = { chainName: HOSTILE_CHAIN, distributedDbVersion: 2, p2pVersion: 1 };
/** Far more than a few escaped, bounded lines; far less than the 130 KB printed raw. */
const HUMAN_OUTPUT_BOUND = 8 * 1024;

let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2p-socket-cli-peer-text-'));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Only printable ASCII, newlines, and what the CLI adds itself: the ellipsis, ×, a table's box drawing. */
function assertTerminalSafe(text: string): void {
  const unsafe = [...text].find((c) => !(c === '\n' || c === '…' || c === '×' || (c >= ' ' && c <= '~') || (c >= '\u2500' && c <= '\u257f')));
  assert.equal(unsafe, undefined, `a raw character reached the output: ${JSON.stringify(unsafe)}`);
}

function assertHostileNameEscaped(run: CliRun): void {
  const printed = run.stdout + run.stderr;
  assertTerminalSafe(printed);
  assert.ok(printed.length < HUMAN_OUTPUT_BOUND, `${printed.length} characters printed`);
  assert.ok(printed.includes('\\x1B]0;pwned\\x07\\r\\n\\x1B[2J\\x9B31m'), printed);
  // Cut short, with the full length (the name's, or that of the message quoting it).
  assert.match(printed, /… \[650\d\d characters\]/);
}

test('peerText: printable ASCII only, bounded, the full length told when cut', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 400 }), fc.integer({ min: 1, max: 200 }), (text, limit) => {
      const shown = peerText(text, limit);
      assertTerminalSafe(shown);
      // The longest escape of one UTF-16 unit is 6 characters (\uD83D), of a pair 9 (\u{1F600}).
      assert.ok(shown.length <= limit * 6 + 30);
      assert.equal(shown.endsWith(`… [${text.length} characters]`), text.length > limit);
    }),
  );
  assert.equal(peerText('TEZOS_MAINNET'), 'TEZOS_MAINNET');
  assert.equal(peerText('a\x1bb\x07\r\n'), 'a\\x1Bb\\x07\\r\\n');
  assert.ok(NAME_LIMIT < MESSAGE_LIMIT);
});

test('asciiJson: the same JSON value, in ASCII only', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.string({ unit: 'binary', maxLength: 200 }), (value, text) => {
      for (const v of [value, { text }]) {
        const json = asciiJson(v);
        assert.match(json, /^[\x00-\x7e]*$/);
        assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(v)));
      }
    }),
  );
});

test('connect --json to a peer announcing a hostile chain name: JSON lines in ASCII, the name whole', async () => {
  const responder = await silentResponder(makeIdentity(0), HOSTILE_VERSION);
  try {
    const run = await startCli(['connect', `127.0.0.1:${responder.port}`, '--timeout', '5000', '--json'], CHILD_TIMEOUT_MS).done;
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /^[\x00-\x7e]*$/);
    assert.equal(run.summary['announced_version']['chain_name'], HOSTILE_CHAIN);
    assert.equal(run.summary['error']['code'], 'REJECTED_NO_COMMON_PROTOCOL');
  } finally {
    await responder.close();
  }
});

test('connect to a peer announcing a hostile chain name: escaped and cut in the human output', async () => {
  const responder = await silentResponder(makeIdentity(0), HOSTILE_VERSION);
  try {
    const run = await startCli(['connect', `127.0.0.1:${responder.port}`, '--timeout', '5000'], CHILD_TIMEOUT_MS).done;
    assert.equal(run.code, 1, run.stdout + run.stderr);
    // The peer's line and the nack's error message both quote the name.
    assert.match(run.stdout, /^peer \S+: \\x1B\]0;pwned/m);
    assert.match(run.stdout, /^failed: REJECTED_NO_COMMON_PROTOCOL: .*it announced \\x1B\]0;pwned/m);
    assertHostileNameEscaped(run);
  } finally {
    await responder.close();
  }
});

/** Dials `port` and runs the handshake announcing HOSTILE_VERSION; resolves once the listener hangs up. */
async function dialHostile(port: number): Promise<void> {
  const identity = makeIdentity(0);
  const socket = await rawClient(port);
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  try {
    const peer = new ScriptedPeer(socket);
    peer.sendConnectionMessage(identity, { version: HOSTILE_VERSION });
    await peer.readConnectionMessage(identity);
    peer.sendChunk(Buffer.from([0, 0]));
    await peer.readChunk();
    peer.sendChunk(Buffer.from([0]));
  } catch {
    // The listener may hang up at any step: what it prints is what this test checks.
  }
  await Promise.race([closed, sleep(10_000, undefined, { ref: false })]);
  socket.destroy();
}

test('listen: a peer announcing a hostile chain name is printed escaped and cut', async () => {
  const readyFile = join(dir, 'ready-inline');
  const listener = startCli(['listen', '--connections', '1', '--ready-file', readyFile], CHILD_TIMEOUT_MS);
  await dialHostile(await readyPort(readyFile));
  const run = await listener.done;
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stdout, /^ {2}failed: REJECTED_NO_COMMON_PROTOCOL: .*it announced \\x1B\]0;pwned/m);
  assertHostileNameEscaped(run);
});

for (const workers of [0, 2]) {
  test(`listen --workers ${workers}: the refusal of a hostile chain name is printed escaped and cut`, async () => {
    const readyFile = join(dir, `ready-pool-${workers}`);
    const listener = startCli(['listen', '--workers', String(workers), '--ready-file', readyFile], CHILD_TIMEOUT_MS);
    let seen = '';
    const refusalPrinted = new Promise<void>((resolve) => {
      listener.child.stdout!.on('data', (text: string) => {
        seen += text;
        if (/^refused /m.test(seen)) resolve();
      });
    });
    await dialHostile(await readyPort(readyFile));
    // The refusal line comes once the pool has decided (bounded wait), then the listener stops.
    await Promise.race([refusalPrinted, listener.done, sleep(10_000, undefined, { ref: false })]);
    listener.child.kill('SIGTERM');
    const run = await listener.done;
    assert.match(run.stdout, /^refused 127\.0\.0\.1:\d+: REJECTED_NO_COMMON_PROTOCOL: .*\\x1B\]0;pwned/m, run.stdout + run.stderr);
    assertHostileNameEscaped(run);
  });
}

test('crawl: a peer announcing a hostile chain name is shown escaped and cut in the table', async () => {
  const responder = await silentResponder(makeIdentity(0), HOSTILE_VERSION);
  try {
    const run = await startCli(['crawl', `127.0.0.1:${responder.port}`, '--depth', '0', '--timeout', '5000', '--wait', '500'], CHILD_TIMEOUT_MS).done;
    assert.equal(run.signal, null, run.stderr);
    assert.match(run.stdout, /\\x1B\]0;pwned/);
    assertHostileNameEscaped(run);
  } finally {
    await responder.close();
  }
});
