/**
 * `p2p-socket listen --node`: the node-like responder on every connection, in the single-socket
 * listener and in both pool modes, driven by a peer-message client over 127.0.0.1, port 0.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from '../src/main/connection.ts';
import type { NodeMetadata } from '../src/shared/wire/metadata.ts';
import type { PeerMessage, PeerMessageOf } from '../src/messages/peer-message.ts';
import { peerMessageCodec } from '../src/messages/peer-message-codec.ts';
import { hashToBase58 } from '../src/messages/hashes.ts';
import { chainIdOf, TEZOS_MAINNET_GENESIS } from '../src/node/genesis.ts';
import { readyPort, startCli } from './helpers/cli-process.ts';
import { dialNode, expectKind } from './support/node-peers.ts';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2p-socket-listen-node-'));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const MODES: Array<{ name: string; flags: string[] }> = [
  { name: 'one socket at a time', flags: [] },
  { name: '--workers 0', flags: ['--workers', '0'] },
  { name: '--workers 1', flags: ['--workers', '1'] },
];

for (const { name, flags } of MODES) {
  test(`listen --node (${name}): greets, advertises --points, answers branch and head, closes on Disconnect`, async () => {
    const readyFile = join(dir, `ready-${flags.join('')}`);
    const listener = startCli(['listen', '--node', '--points', '127.0.0.1:9733,[::1]:9734', ...flags, '--connections', '1', '--ready-file', readyFile, '--json'], 20_000);
    const port = await readyPort(readyFile);
    const peer = (await dialNode(port)) as Connection<PeerMessage, NodeMetadata>;
    const { chainId } = await expectKind(peer, 'Get_current_branch');
    assert.equal(hashToBase58('chainId', chainId), 'NetXXAAR1wWQhhe', 'the sandbox runs the Mavryk mainnet genesis');
    for (let round = 0; round < 2; round++) {
      await peer.write({ kind: 'Bootstrap' });
      assert.deepEqual((await expectKind(peer, 'Advertise')).points, ['127.0.0.1:9733', '[::1]:9734']);
    }
    // Each asked twice: between two heads the listener sends the same bytes again, and counts them.
    const answers: PeerMessage[] = [];
    for (let round = 0; round < 2; round++) {
      await peer.write({ kind: 'Get_current_branch', chainId });
      answers.push(await expectKind(peer, 'Current_branch'));
      await peer.write({ kind: 'Get_current_head', chainId });
      answers.push(await expectKind(peer, 'Current_head'));
    }
    const [branch, head, branchAgain, headAgain] = answers as [PeerMessageOf<'Current_branch'>, PeerMessageOf<'Current_head'>, PeerMessage, PeerMessage];
    assert.equal(head.header.level, branch.locator.currentHead.level);
    assert.deepEqual(branchAgain, branch);
    assert.deepEqual(headAgain, head);
    const advertiseSize = peerMessageCodec.encode({ kind: 'Advertise', points: ['127.0.0.1:9733', '[::1]:9734'] }).length;
    const answerBytes = answers.reduce((sum, answer) => sum + peerMessageCodec.encode(answer).length, 0);
    await peer.write({ kind: 'Disconnect' });
    await peer.ended;

    const run = await listener.done;
    assert.equal(run.code, 0, run.stderr);
    const listening = run.lines.find((line) => line['event'] === 'listening')!;
    assert.equal(listening['chain_id'], 'NetXXAAR1wWQhhe');
    assert.equal(listening['head_level'], head.header.level);
    const counts = flags.length === 0 ? run.summary['connections'][0] : run.summary;
    assert.equal(counts['messages_received'], 7);
    assert.equal(counts['messages_sent'], 7);
    assert.equal(counts['bytes_received'], 2 * 2 + 4 * 6 + 2);
    assert.equal(counts['bytes_sent'], 6 + 2 * advertiseSize + answerBytes);
  });
}

test('listen --node --genesis B…: the chain id derives from that genesis', async () => {
  const readyFile = join(dir, 'ready-genesis');
  const listener = startCli(['listen', '--node', '--genesis', TEZOS_MAINNET_GENESIS, '--workers', '0', '--connections', '1', '--ready-file', readyFile, '--json'], 20_000);
  const port = await readyPort(readyFile);
  const peer = (await dialNode(port)) as Connection<PeerMessage, NodeMetadata>;
  const { chainId } = await expectKind(peer, 'Get_current_branch');
  assert.deepEqual(chainId, chainIdOf(TEZOS_MAINNET_GENESIS));
  await peer.close();
  const run = await listener.done;
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.lines[0]?.['chain_id'], 'NetXdQprcVkpaWU');
});

test('listen --node --block-interval: the head advances and active peers hear of it', async () => {
  const readyFile = join(dir, 'ready-interval');
  const listener = startCli(['listen', '--node', '--block-interval', '50', '--workers', '0', '--connections', '1', '--ready-file', readyFile, '--json'], 20_000);
  const port = await readyPort(readyFile);
  const peer = (await dialNode(port)) as Connection<PeerMessage, NodeMetadata>;
  const { chainId } = await expectKind(peer, 'Get_current_branch');
  await peer.write({ kind: 'Get_current_branch', chainId });
  const start = (await expectKind(peer, 'Current_branch')).locator.currentHead.level;
  const pushed = await expectKind(peer, 'Current_head');
  assert.ok(pushed.header.level > start, `${pushed.header.level} > ${start}`);
  await peer.close();
  assert.equal((await listener.done).code, 0);
});

test('listen --node: usage errors for its flags without it, with --echo or --nack, and a bad genesis (exit 2)', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--points', '127.0.0.1:1'], /--points needs --node/],
    [['--genesis', TEZOS_MAINNET_GENESIS], /--genesis needs --node/],
    [['--block-interval', '10'], /--block-interval needs --node/],
    [['--node', '--echo'], /--echo and --node exclude each other/],
    [['--node', '--nack', '1'], /--nack and --node exclude each other/],
    [['--node', '--genesis', 'BLockGenesis'], /--genesis must be a block hash/],
    [['--node', '--points', 'localhost:9732'], /--points: .*invalid point/],
  ];
  for (const [args, message] of cases) {
    const run = await startCli(['listen', ...args], 10_000).done;
    assert.equal(run.code, 2, args.join(' '));
    assert.match(run.stderr, message);
  }
});
