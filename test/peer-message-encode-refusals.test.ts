/**
 * Encoding refuses what a node's reader would refuse, with an EncodingError naming the field, and
 * the JSON form refuses what is not one; a value at each bound still encodes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPeerMessageCodec, EncodingError, HashList, OCTEZ_MAX_ENVIRONMENT_VERSION, peerMessageCodec, type BlockHeader, type PeerMessage } from '../src/messages/index.ts';

const header: BlockHeader = {
  level: 1,
  proto: 1,
  predecessor: new Uint8Array(32),
  timestamp: 0n,
  validationPass: 4,
  operationsHash: new Uint8Array(32),
  fitness: [],
  context: new Uint8Array(32),
  protocolData: new Uint8Array(0),
};
const hashes = (n: number): HashList => new HashList(new Uint8Array(32 * n));
const chainId = new Uint8Array(4);
const longestPoint = '[fe80:e828:209d:20ed:c0ae:fe80:e828:209d]:12345';

/** `encode`, `encodedSize` and `encodeInto` refuse the message naming `path`; the target stays untouched. */
function refused(message: unknown, path: string): void {
  const named = (error: unknown): boolean => error instanceof EncodingError && (error.path ?? '') === path;
  assert.throws(() => peerMessageCodec.encode(message as PeerMessage), named, path);
  assert.throws(() => peerMessageCodec.encodedSize(message as PeerMessage), named, path);
  const target = new Uint8Array(64).fill(0xee);
  assert.throws(() => peerMessageCodec.encodeInto(message as PeerMessage, target, 1), named, path);
  assert.ok(target.every((byte) => byte === 0xee), path);
}

test('each bound encodes at its limit and is refused one past it, naming the field', () => {
  const pairs: Array<[(n: number) => unknown, number, string]> = [
    [(n) => ({ kind: 'Advertise', points: Array.from({ length: n }, () => longestPoint) }), 100, 'Advertise.points'],
    [(n) => ({ kind: 'Get_block_headers', blockHashes: hashes(n) }), 10, 'Get_block_headers.blockHashes'],
    [(n) => ({ kind: 'Get_operations', operationHashes: hashes(n) }), 10, 'Get_operations.operationHashes'],
    [(n) => ({ kind: 'Get_protocols', protocolHashes: hashes(n) }), 10, 'Get_protocols.protocolHashes'],
    [(n) => ({ kind: 'Get_operations_for_blocks', blocks: Array.from({ length: n }, () => ({ hash: new Uint8Array(32), validationPass: -1 })) }), 10, 'Get_operations_for_blocks.blocks'],
    [(n) => ({ kind: 'Current_branch', chainId, locator: { currentHead: header, history: hashes(n) } }), 1000, 'Current_branch.locator.history'],
    [(n) => ({ kind: 'Current_head', chainId, header, mempool: { knownValid: hashes(n), pending: hashes(0) } }), 3999, 'Current_head.mempool'],
    [(n) => ({ kind: 'Current_head', chainId, header, mempool: { knownValid: hashes(2000), pending: hashes(n - 2000) } }), 3999, 'Current_head.mempool'],
    [(n) => ({ kind: 'Operation', operation: { branch: new Uint8Array(32), data: new Uint8Array(n - 32) } }), 128 * 1024, 'Operation.operation'],
    [(n) => ({ kind: 'Block_header', header: { ...header, protocolData: new Uint8Array(n - 114) } }), 8 * 1024 * 1024, 'Block_header.header'],
  ];
  for (const [make, limit, path] of pairs) {
    assert.ok(peerMessageCodec.encode(make(limit) as PeerMessage).length > 0, path);
    refused(make(limit + 1), path);
  }
});

test('points a node refuses are refused by encode, naming the element', () => {
  for (const text of ['foo.com:8444', 'localhost:9732', '1.2.3.4', '[::1]', '::1:9732', '01.2.3.4:80', '1.2.3.4:65536', '[fe80::1%eth0]:80', ' 1.2.3.4:1']) {
    refused({ kind: 'Advertise', points: ['1.2.3.4:1', text] }, 'Advertise.points[1]');
    refused({ kind: 'Swap_request', point: text, peerId: new Uint8Array(16) }, 'Swap_request.point');
  }
});

test('paths deeper than 3 levels, unknown environments, out-of-range integers and wrong hash lengths are refused', () => {
  const op = { kind: 'Op' };
  const deep = [1, 2, 3, 4].reduce<unknown>((path) => ({ kind: 'Left', path, right: new Uint8Array(32) }), op);
  const shallow = [1, 2, 3].reduce<unknown>((path) => ({ kind: 'Right', left: new Uint8Array(32), path }), op);
  const ofb = (path: unknown) => ({ kind: 'Operations_for_blocks', hash: new Uint8Array(32), validationPass: 0, path, operations: [] });
  assert.ok(peerMessageCodec.encode(ofb(shallow) as PeerMessage));
  refused(ofb(deep), 'Operations_for_blocks.path');
  const protocol = (v: number) => ({ kind: 'Protocol', protocol: { expectedEnvVersion: v, components: [] } });
  refused(protocol(13), 'Protocol.protocol.expectedEnvVersion');
  assert.ok(createPeerMessageCodec({ maxEnvironmentVersion: OCTEZ_MAX_ENVIRONMENT_VERSION }).encode(protocol(17) as PeerMessage));
  refused({ kind: 'Block_header', header: { ...header, level: 2 ** 31 } }, 'Block_header.header.level');
  refused({ kind: 'Block_header', header: { ...header, proto: 256 } }, 'Block_header.header.proto');
  refused({ kind: 'Block_header', header: { ...header, timestamp: 2n ** 63n } }, 'Block_header.header.timestamp');
  refused({ kind: 'Get_current_head', chainId: new Uint8Array(5) }, 'Get_current_head.chainId');
  refused({ kind: 'Get_current_head' }, 'Get_current_head.chainId');
  refused({ kind: 'Nope' }, '');
});

test('encodeInto refuses a target too small from its offset, or an offset outside it, writing nothing', () => {
  const message: PeerMessage = { kind: 'Get_current_head', chainId };
  assert.equal(peerMessageCodec.encodedSize(message), 6);
  for (const [length, offset] of [[5, 0], [6, 1], [6, 7], [6, -1], [6, 0.5]] as const) {
    const target = new Uint8Array(length).fill(0xee);
    assert.throws(() => peerMessageCodec.encodeInto(message, target, offset), EncodingError, `${length} bytes at ${offset}`);
    assert.ok(target.every((byte) => byte === 0xee));
  }
  const exact = new Uint8Array(8);
  assert.equal(peerMessageCodec.encodeInto(message, exact, 2), 6);
  assert.deepEqual(exact, Uint8Array.of(0, 0, 0x00, 0x13, 0, 0, 0, 0));
  assert.throws(() => peerMessageCodec.encodeInto(message, [] as unknown as Uint8Array), EncodingError);
});

test('toJson refuses a value of an unknown kind with an EncodingError', () => {
  for (const kind of ['Nope', 'toString', '__proto__', undefined]) {
    assert.throws(() => peerMessageCodec.toJson({ kind } as unknown as PeerMessage), EncodingError, String(kind));
  }
});

test('fromJson names the field of a bad JSON form and refuses unknown fields', () => {
  const cases: Array<[unknown, string]> = [
    [{ kind: 'Get_current_head', chainId: 'NetXbad' }, 'Get_current_head.chainId'],
    [{ kind: 'Get_current_head', chainId: 'NetXdQprcVkpaWU', extra: 1 }, 'Get_current_head'],
    [{ kind: 'Get_block_headers', blockHashes: ['BLockGenesisGenesisGenesisGenesisGenesis23a82evMK9F', 'x'] }, 'Get_block_headers.blockHashes[1]'],
    [{ kind: 'Operation', operation: { branch: 'BLockGenesisGenesisGenesisGenesisGenesis23a82evMK9F', data: 'abc' } }, 'Operation.operation.data'],
    [{ kind: 'Bogus' }, ''],
  ];
  for (const [json, path] of cases) {
    assert.throws(() => peerMessageCodec.fromJson(json), (error: unknown) => error instanceof EncodingError && (error.path ?? '') === path, path);
  }
});

test('a message whose field getter encodes another message still encodes to its own bytes', () => {
  const plain: PeerMessage = { kind: 'Get_current_head', chainId: Uint8Array.of(1, 2, 3, 4) };
  const inner: PeerMessage = { kind: 'Deactivate', chainId: Uint8Array.of(9, 9, 9, 9) };
  const nested = {
    kind: 'Get_current_head',
    get chainId(): Uint8Array {
      peerMessageCodec.encode(inner);
      peerMessageCodec.encodeInto(inner, new Uint8Array(6));
      return Uint8Array.of(1, 2, 3, 4);
    },
  } as PeerMessage;
  assert.deepEqual(peerMessageCodec.encode(nested), peerMessageCodec.encode(plain));
  const target = new Uint8Array(6);
  assert.equal(peerMessageCodec.encodeInto(nested, target), 6);
  assert.deepEqual(target, new Uint8Array(peerMessageCodec.encode(plain)));
});
