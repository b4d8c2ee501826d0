/**
 * Hostile peers against the node-like responder, over real sockets to a pool serving it as
 * `listen --node` does, in both modes: every negative vector of test/vectors/peer-messages.json,
 * written as raw stream bytes by a bytes-codec client, ends its own connection with a typed error
 * (DECODING_ERROR with the vector's reason and field path) while a peer connected beside it is
 * still served; messages at each bound are accepted, and one past it refused, as a node does.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../src/main/connection.ts';
import { P2pError } from '../src/shared/errors.ts';
import { encodeStream } from '../src/shared/session/encoded-message.ts';
import { MAX_CHUNK_CONTENT } from '../src/shared/session/chunk-layout.ts';
import type { NodeMetadata } from '../src/shared/wire/metadata.ts';
import { HashList } from '../src/messages/hash-list.ts';
import type { PeerMessage } from '../src/messages/peer-message.ts';
import { SyntheticChain } from '../src/node/synthetic-chain.ts';
import { invalidVectors, largeVectors, type PeerMessageVector } from './helpers/peer-message-vectors.ts';
import { MODES } from './support/pools.ts';
import { dialNode, dialRaw, expectKind, startNodePool, type NodePool } from './support/node-peers.ts';

type Peer = Connection<PeerMessage, NodeMetadata>;

/** The longest legal point text: a bracketed IPv6 address of eight 4-digit groups and a 5-digit port (47 bytes). */
const LONGEST_POINT = '[fe80:e828:209d:20ed:c0ae:fe80:e828:209d]:12345';
/** A valid Bootstrap frame, written after a frame whose length runs past its bytes so that the reader gets on. */
const BOOTSTRAP_FRAME = Buffer.from('000000020002', 'hex');


async function probe(peer: Peer, chain: SyntheticChain): Promise<void> {
  await peer.write({ kind: 'Get_block_headers', blockHashes: HashList.from([chain.head().hash]) });
  assert.equal((await expectKind(peer, 'Block_header')).header.level, chain.head().header.level);
}

/** A peer that activated the chain, as a watcher would, and stays connected through the test. */
async function bystander(node: NodePool, chain: SyntheticChain): Promise<Peer> {
  const peer = (await dialNode(node.port)) as Peer;
  await expectKind(peer, 'Get_current_branch');
  await peer.write({ kind: 'Get_current_branch', chainId: chain.chainId });
  await expectKind(peer, 'Current_branch');
  return peer;
}

/**
 * Dials as a hostile peer, writes `vector`'s stream bytes as they are, and returns how the
 * responder ended that connection; the client must see it closed with nothing sent after the greeting.
 */
async function sendHostile(node: NodePool, vector: PeerMessageVector): Promise<unknown> {
  const index = node.outcomes.length;
  const raw = await dialRaw(node.port);
  const greeting = await raw.read({ signal: AbortSignal.timeout(10_000) });
  assert.equal(Buffer.from(greeting.message).readUInt16BE(0), 0x10, 'the greeting is Get_current_branch');
  const bytes = isFraming(vector) ? Buffer.concat([vector.bytes, BOOTSTRAP_FRAME]) : vector.bytes;
  raw.writeEncodedNow(encodeStream(bytes, MAX_CHUNK_CONTENT));
  const outcome = await node.outcomes[index];
  await assert.rejects(raw.read({ signal: AbortSignal.timeout(10_000) }), { code: 'CONNECTION_CLOSED' }, `${vector.name}: nothing is written after it`);
  await raw.close();
  return outcome;
}

/**
 * The frame's own length is what is wrong: the top bit set (refused at the prefix), or longer than
 * the bytes (the frame takes the next frame's first byte, and what it makes does not decode).
 */
const isFraming = (vector: PeerMessageVector): boolean => vector.bytes.readUInt32BE(0) !== vector.bytes.length - 4;

function assertRefused(vector: PeerMessageVector, outcome: unknown): void {
  assert.ok(outcome instanceof P2pError, `${vector.name}: a typed error, got ${String(outcome)}`);
  assert.equal(outcome.code, 'DECODING_ERROR', `${vector.name}: ${outcome.message}`);
  // A frame refused for its length: the reason is the connection's, not the vector's message reader's.
  if (isFraming(vector)) return;
  const { reason, path } = outcome as P2pError & { reason: string; path: string | undefined };
  assert.equal(reason, vector.reason, vector.name);
  assert.equal(path ?? null, vector.path ?? null, vector.name);
}

const byName = (name: string): PeerMessageVector => {
  const vector = invalidVectors.find((v) => v.name === name);
  assert.ok(vector, `vector ${name}`);
  return vector;
};

for (const { name, workers } of MODES) {
  describe(`node responder against hostile peers (${name})`, () => {
    test(`every negative vector (${invalidVectors.length}) ends its own connection with a typed error; the peer beside it is still served`, async () => {
      const chain = new SyntheticChain();
      const node = await startNodePool(workers, chain, ['127.0.0.1:9732']);
      try {
        const watcher = await bystander(node, chain);
        for (const vector of invalidVectors) assertRefused(vector, await sendHostile(node, vector));
        await probe(watcher, chain);
        await watcher.close();
        assert.equal(await node.outcomes[0], 'closed');
      } finally {
        await node.close();
      }
    });

    test('the megabyte bounds: exactly at the bound accepted, one byte past it refused', async () => {
      const chain = new SyntheticChain();
      const node = await startNodePool(workers, chain, []);
      try {
        const watcher = await bystander(node, chain);
        for (const vector of largeVectors()) {
          if (vector.reason === null || vector.reason === undefined) {
            const raw = await dialRaw(node.port);
            await raw.read({ signal: AbortSignal.timeout(10_000) });
            raw.writeEncodedNow(encodeStream(vector.bytes, MAX_CHUNK_CONTENT));
            // Still served after it: a Bootstrap-free probe is answered on the same connection.
            raw.writeNow(Buffer.concat([Buffer.from('0020', 'hex'), Buffer.from('00000020', 'hex'), Buffer.from(chain.head().hash)]));
            const answer = await raw.read({ signal: AbortSignal.timeout(20_000) });
            assert.equal(Buffer.from(answer.message).readUInt16BE(0), 0x21, `${vector.name}: accepted, the next request answered`);
            await raw.close();
          } else {
            assertRefused(vector, await sendHostile(node, vector));
          }
        }
        await probe(watcher, chain);
        await watcher.close();
      } finally {
        await node.close();
      }
    });

    test('at the bounds: 100 longest points, a 1,000-hash history, a 3,999-hash mempool are accepted', async () => {
      const chain = new SyntheticChain();
      const node = await startNodePool(workers, chain, []);
      try {
        const peer = await bystander(node, chain);
        assert.equal(LONGEST_POINT.length, 47);
        await peer.write({ kind: 'Advertise', points: Array.from({ length: 100 }, () => LONGEST_POINT) });
        const history = HashList.from(Array.from({ length: 1000 }, (_, i) => new Uint8Array(32).fill(i & 0xff)));
        await peer.write({ kind: 'Current_branch', chainId: chain.chainId, locator: { currentHead: chain.head().header, history } });
        const hashes = Array.from({ length: 3999 }, (_, i) => {
          const hash = new Uint8Array(32);
          new DataView(hash.buffer).setUint32(0, i);
          return hash;
        });
        const mempool = { knownValid: HashList.from(hashes.slice(0, 2000)), pending: HashList.from(hashes.slice(2000)) };
        await peer.write({ kind: 'Current_head', chainId: chain.chainId, header: chain.head().header, mempool });
        await probe(peer, chain);
        await peer.close();
        assert.equal(await node.outcomes[0], 'closed');
      } finally {
        await node.close();
      }
    });

    test('one past each bound, a host name and a point without its port are refused, as a node refuses them', async () => {
      const chain = new SyntheticChain();
      const node = await startNodePool(workers, chain, []);
      try {
        const watcher = await bystander(node, chain);
        const refused = [
          'Advertise of 101 longest points',
          'Current_branch with a 1001-hash history',
          'Current_head with a mempool of 4000 hashes',
          'Current_head with a mempool of 2000 + 2000 hashes',
          'Advertise of the point "foo.com:8444"',
          'Advertise of the point "localhost:9732"',
          'Advertise of the point "1.2.3.4"',
          'Advertise of the point "[::1]"',
        ];
        for (const vectorName of refused) {
          const vector = byName(vectorName);
          assertRefused(vector, await sendHostile(node, vector));
        }
        await probe(watcher, chain);
        await watcher.close();
      } finally {
        await node.close();
      }
    });
  });
}
