/**
 * The node-like responder answers as a small node does (docs/messages.md, "A node-like peer"),
 * one test per line of that checklist, over real sockets to a pool in both modes. "Silent" is
 * shown without timing: the responder handles messages in order, so the answer to a probe sent
 * after the unanswered request is the next message the peer receives.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../src/main/connection.ts';
import type { NodeMetadata } from '../src/shared/wire/metadata.ts';
import { HashList } from '../src/messages/hash-list.ts';
import type { Mempool, PeerMessage, PeerMessageOf } from '../src/messages/peer-message.ts';
import { hashToBase58 } from '../src/messages/hashes.ts';
import { SyntheticChain } from '../src/node/synthetic-chain.ts';
import { chainIdOf, genesisOfChainName } from '../src/node/genesis.ts';
import { MODES } from './support/pools.ts';
import { dialNode, dialRaw, expectKind, startNodePool, type NodePool } from './support/node-peers.ts';

type Peer = Connection<PeerMessage, NodeMetadata>;

const OTHER_CHAIN = Uint8Array.of(1, 2, 3, 4);

/** A hash of 32 bytes all `byte`. */
const filled = (byte: number): Uint8Array => new Uint8Array(32).fill(byte);

/** A chain whose mempool holds two operations, so that an emptied one shows. */
class ChainWithMempool extends SyntheticChain {
  override mempool(): Mempool {
    return { knownValid: HashList.from([filled(1)]), pending: HashList.from([filled(2)]) };
  }
}

/** Sends a probe only genesis can answer; the next message must be its Block_header. */
async function probe(peer: Peer, chain: SyntheticChain): Promise<void> {
  await peer.write({ kind: 'Get_block_headers', blockHashes: HashList.from([chain.genesis]) });
  const answer = await expectKind(peer, 'Block_header');
  assert.equal(answer.header.level, 0, 'the probe, not an answer to what came before it');
}

/** Dials, checks the greeting every node sends first, and returns the peer. */
async function greeted(node: NodePool, chain: SyntheticChain, options: Parameters<typeof dialNode>[1] = {}): Promise<Peer> {
  const peer = (await dialNode(node.port, options)) as Peer;
  const hello = await expectKind(peer, 'Get_current_branch');
  assert.deepEqual(hello.chainId, chain.chainId);
  return peer;
}

async function activate(peer: Peer, chain: SyntheticChain): Promise<void> {
  await peer.write({ kind: 'Get_current_branch', chainId: chain.chainId });
  await expectKind(peer, 'Current_branch');
}

test('chain ids derive from the genesis hash (Mavryk mainnet, basenet, Tezos mainnet)', () => {
  const netId = (name: string) => hashToBase58('chainId', chainIdOf(genesisOfChainName(name)));
  assert.equal(netId('MAVRYK_MAINNET'), 'NetXXAAR1wWQhhe');
  assert.equal(netId('SANDBOXED_MAVRYK'), 'NetXXAAR1wWQhhe');
  assert.equal(Buffer.from(chainIdOf(genesisOfChainName('MAVRYK_BASENET_2025-08-14T11:46:32Z'))).toString('hex'), 'acb17102');
  assert.equal(netId('TEZOS_MAINNET'), 'NetXdQprcVkpaWU');
});

test('the synthetic chain is deterministic and well linked', () => {
  const a = new SyntheticChain({ headLevel: 30 });
  const b = new SyntheticChain({ headLevel: 30 });
  assert.deepEqual(a.head().hash, b.head().hash);
  let block = a.head();
  for (let level = 30; level > 0; level--) {
    assert.equal(block.header.level, level);
    block = a.block(block.header.predecessor)!;
    assert.ok(block, `block ${level - 1} is held`);
  }
  assert.deepEqual(block.hash, a.genesis);
  const other = new SyntheticChain({ headLevel: 30, chainName: 'TEZOS_MAINNET' });
  assert.notDeepEqual(other.head().hash, a.head().hash);
});

for (const { name, workers } of MODES) {
  describe(`node responder (${name})`, () => {
    test('after the Ack it sends Get_current_branch for its own chain, first', async () => {
      const chain = new SyntheticChain();
      const node = await startNodePool(workers, chain, []);
      try {
        const peer = await greeted(node, chain);
        await peer.close();
      } finally {
        await node.close();
      }
    });

    test('Bootstrap: one Advertise of the known points, at most 50, canonical, host names left out', async () => {
      const chain = new SyntheticChain();
      const many = Array.from({ length: 120 }, (_, i) => `127.0.${i >> 8}.${i & 0xff}:${9000 + i}`);
      const source = () => ['localhost:9732', '10.0.0.1', '[0:0::1]:9732', ...many];
      const node = await startNodePool(workers, chain, source);
      try {
        const peer = await greeted(node, chain);
        await peer.write({ kind: 'Bootstrap' });
        const { points } = await expectKind(peer, 'Advertise');
        assert.equal(points.length, 50);
        assert.deepEqual(points.slice(0, 30), ['[::1]:9732', ...many.slice(0, 29)], 'the first 30 in the source order');
        assert.equal(new Set(points).size, 50, 'no duplicates');
        for (const point of points.slice(30)) assert.ok(many.slice(29).includes(point));
        await peer.close();
      } finally {
        await node.close();
      }
    });

    test('Bootstrap is not answered with no known point, in private mode, or to a private peer', async () => {
      const chain = new SyntheticChain();
      for (const [points, privateMode, privateNode] of [[[], false, false], [['127.0.0.1:1'], true, false], [['127.0.0.1:1'], false, true]] as const) {
        const node = await startNodePool(workers, chain, points, { privateMode });
        try {
          const peer = await greeted(node, chain, { privateNode });
          await peer.write({ kind: 'Bootstrap' });
          await probe(peer, chain);
          await peer.close();
        } finally {
          await node.close();
        }
      }
    });

    test('Get_current_branch for its chain: Current_branch with the head and at most 200 history hashes; another chain: silent', async () => {
      const chain = new SyntheticChain({ headLevel: 5000 });
      const node = await startNodePool(workers, chain, []);
      try {
        const peer = await greeted(node, chain);
        await peer.write({ kind: 'Get_current_branch', chainId: OTHER_CHAIN });
        await probe(peer, chain);
        await peer.write({ kind: 'Get_current_branch', chainId: chain.chainId });
        const branch = await expectKind(peer, 'Current_branch');
        assert.deepEqual(branch.chainId, chain.chainId);
        assert.equal(branch.locator.currentHead.level, 5000);
        const history = [...branch.locator.history];
        assert.ok(history.length > 0 && history.length <= 200, `${history.length} history hashes`);
        assert.deepEqual(history[0], chain.head().header.predecessor, 'history starts at the head predecessor');
        const levels = history.map((hash) => chain.block(hash)!.header.level);
        for (let i = 1; i < levels.length; i++) assert.ok(levels[i]! < levels[i - 1]!, 'newest first');
        await peer.close();
      } finally {
        await node.close();
      }
    });

    test('a chain at genesis sends an empty history', async () => {
      const chain = new SyntheticChain({ headLevel: 0 });
      const node = await startNodePool(workers, chain, []);
      try {
        const peer = await greeted(node, chain);
        await peer.write({ kind: 'Get_current_branch', chainId: chain.chainId });
        const branch = await expectKind(peer, 'Current_branch');
        assert.equal(branch.locator.currentHead.level, 0);
        assert.equal(branch.locator.history.length, 0);
        await peer.close();
      } finally {
        await node.close();
      }
    });

    test('Get_current_head: silent until the peer activated the chain, then Current_head with the mempool (empty if the peer disables it)', async () => {
      const chain = new ChainWithMempool({ headLevel: 42 });
      const node = await startNodePool(workers, chain, []);
      try {
        const peer = await greeted(node, chain);
        await peer.write({ kind: 'Get_current_head', chainId: chain.chainId });
        await probe(peer, chain);
        await activate(peer, chain);
        await peer.write({ kind: 'Get_current_head', chainId: OTHER_CHAIN });
        await peer.write({ kind: 'Get_current_head', chainId: chain.chainId });
        const head = await expectKind(peer, 'Current_head');
        assert.equal(head.header.level, 42);
        assert.deepEqual([...head.mempool.knownValid], [filled(1)]);
        assert.deepEqual([...head.mempool.pending], [filled(2)]);
        await peer.close();

        const quiet = await greeted(node, chain, { disableMempool: true });
        await activate(quiet, chain);
        await quiet.write({ kind: 'Get_current_head', chainId: chain.chainId });
        const empty = await expectKind(quiet, 'Current_head');
        assert.equal(empty.mempool.knownValid.length + empty.mempool.pending.length, 0);
        await quiet.close();
      } finally {
        await node.close();
      }
    });

    test('a new head goes to the peers that activated the chain, and only to them', async () => {
      const chain = new SyntheticChain({ headLevel: 10 });
      const node = await startNodePool(workers, chain, []);
      try {
        const watcher = await greeted(node, chain);
        await activate(watcher, chain);
        const bystander = await greeted(node, chain);
        chain.advance();
        assert.equal((await expectKind(watcher, 'Current_head')).header.level, 11);
        await probe(bystander, chain);
        await watcher.close();
        await bystander.close();
      } finally {
        await node.close();
      }
    });

    test('between two heads the answers repeat; after a new head, branch and head answers carry the new head', async () => {
      const chain = new SyntheticChain({ headLevel: 10 });
      const node = await startNodePool(workers, chain, []);
      try {
        const peer = await greeted(node, chain);
        const ask = async (): Promise<[PeerMessageOf<'Current_branch'>, PeerMessageOf<'Current_head'>]> => {
          await peer.write({ kind: 'Get_current_branch', chainId: chain.chainId });
          const branch = await expectKind(peer, 'Current_branch');
          await peer.write({ kind: 'Get_current_head', chainId: chain.chainId });
          return [branch, await expectKind(peer, 'Current_head')];
        };
        const [branch, head] = await ask();
        assert.deepEqual(await ask(), [branch, head]);
        const next = chain.advance();
        assert.equal((await expectKind(peer, 'Current_head')).header.level, 11, 'the announcement');
        const [newBranch, newHead] = await ask();
        assert.deepEqual(newHead.header, next.header);
        assert.deepEqual(newBranch.locator.currentHead, next.header);
        assert.deepEqual(newBranch.locator.history.at(0), chain.block(next.header.predecessor)!.hash);
        assert.deepEqual(newBranch.locator.history.at(1), branch.locator.history.at(0));
        await peer.close();
      } finally {
        await node.close();
      }
    });

    test('Deactivate: the chain is no longer active; after the peer announced a branch, it is disconnected', async () => {
      const chain = new SyntheticChain();
      const node = await startNodePool(workers, chain, []);
      try {
        const peer = await greeted(node, chain);
        await activate(peer, chain);
        await peer.write({ kind: 'Deactivate', chainId: chain.chainId });
        await peer.write({ kind: 'Get_current_head', chainId: chain.chainId });
        await probe(peer, chain);

        await activate(peer, chain);
        await peer.write({ kind: 'Current_branch', chainId: chain.chainId, locator: chain.locator() });
        await peer.write({ kind: 'Deactivate', chainId: chain.chainId });
        await peer.ended;
        assert.equal(await node.outcomes[0], 'deactivate');
      } finally {
        await node.close();
      }
    });

    test('Get_block_headers / Get_predecessor_header / Get_checkpoint: one answer per held item, the rest skipped', async () => {
      const chain = new SyntheticChain({ headLevel: 20 });
      const node = await startNodePool(workers, chain, []);
      try {
        const peer = await greeted(node, chain);
        const head = chain.head();
        const parent = chain.block(head.header.predecessor)!;
        await peer.write({ kind: 'Get_block_headers', blockHashes: HashList.from([filled(9), head.hash, filled(8), parent.hash]) });
        assert.equal((await expectKind(peer, 'Block_header')).header.level, 20);
        assert.equal((await expectKind(peer, 'Block_header')).header.level, 19);
        await peer.write({ kind: 'Get_predecessor_header', blockHash: filled(9), offset: 1 });
        await peer.write({ kind: 'Get_predecessor_header', blockHash: head.hash, offset: 21 });
        await peer.write({ kind: 'Get_predecessor_header', blockHash: head.hash, offset: 5 });
        const predecessor = await expectKind(peer, 'Predecessor_header');
        assert.equal(predecessor.offset, 5);
        assert.equal(predecessor.header.level, 15);
        await peer.write({ kind: 'Get_checkpoint', chainId: OTHER_CHAIN });
        await peer.write({ kind: 'Get_operations', operationHashes: HashList.from([filled(3)]) });
        await peer.write({ kind: 'Get_protocols', protocolHashes: HashList.from([filled(4)]) });
        await peer.write({ kind: 'Get_operations_for_blocks', blocks: [{ hash: head.hash, validationPass: 0 }] });
        await peer.write({ kind: 'Get_checkpoint', chainId: chain.chainId });
        const checkpoint = await expectKind(peer, 'Checkpoint');
        assert.equal(checkpoint.header.level, 0);
        await peer.close();
      } finally {
        await node.close();
      }
    });

    test('Swap_request, Swap_ack, Advertise and unsolicited answers are ignored', async () => {
      const chain = new SyntheticChain({ headLevel: 3 });
      const node = await startNodePool(workers, chain, ['127.0.0.1:9732']);
      try {
        const peer = await greeted(node, chain);
        const peerId = new Uint8Array(16).fill(7);
        const ignored: PeerMessage[] = [
          { kind: 'Swap_request', point: '127.0.0.2:9732', peerId },
          { kind: 'Swap_ack', point: '127.0.0.3:9732', peerId },
          { kind: 'Advertise', points: ['127.0.0.4:9732'] },
          { kind: 'Block_header', header: chain.head().header },
          { kind: 'Operation', operation: { branch: chain.head().hash, data: Uint8Array.of(1, 2, 3) } },
          { kind: 'Current_head', chainId: chain.chainId, header: chain.head().header, mempool: chain.mempool() },
          { kind: 'Protocol_branch', chainId: chain.chainId, protoLevel: 1, locator: chain.locator() },
        ];
        for (const message of ignored) await peer.write(message);
        await probe(peer, chain);
        await peer.close();
      } finally {
        await node.close();
      }
    });

    test('Disconnect: the responder closes the connection', async () => {
      const chain = new SyntheticChain();
      const node = await startNodePool(workers, chain, []);
      try {
        const peer = await greeted(node, chain);
        await peer.write({ kind: 'Disconnect' });
        await peer.ended;
        assert.equal(await node.outcomes[0], 'disconnect');
      } finally {
        await node.close();
      }
    });

    test('an undecodable message closes the connection without a byte written, with DECODING_ERROR; greylisting refuses the address next', async () => {
      const chain = new SyntheticChain();
      const node = await startNodePool(workers, chain, ['127.0.0.1:9732'], { greylist: true });
      try {
        const raw = await dialRaw(node.port);
        const greeting = await raw.read({ signal: AbortSignal.timeout(10_000) });
        assert.equal(Buffer.from(greeting.message).readUInt16BE(0), 0x10, 'Get_current_branch');
        // Bootstrap (tag 0x0002) with a stray body byte: Extra_bytes.
        raw.writeNow(Buffer.from('000200', 'hex'));
        const outcome = await node.outcomes[0];
        assert.ok(outcome instanceof Error);
        assert.equal((outcome as { code?: string }).code, 'DECODING_ERROR');
        await assert.rejects(raw.read({ signal: AbortSignal.timeout(10_000) }), { code: 'CONNECTION_CLOSED' });
        await assert.rejects(dialNode(node.port), 'the greylisted address is refused');
      } finally {
        await node.close();
      }
    });
  });
}
