import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DecodingError, EncodingError } from '../src/shared/errors.ts';
import type { DecodingReason } from '../src/shared/errors.ts';
import {
  MAVRYK_MAINNET,
  NODE_DISTRIBUTED_DB_VERSIONS,
  NODE_P2P_VERSIONS,
  SANDBOXED_MAVRYK,
  SANDBOXED_MAVRYK_MAINNET,
  TEST_UTILS_NETWORK_VERSION,
  announcedVersion,
  chainNameFromBytes,
  decodeNetworkVersion,
  encodeNetworkVersion,
  nodeLocalVersions,
  selectVersion,
} from '../src/shared/wire/network-version.ts';
import type { LocalVersions, NetworkVersion } from '../src/shared/wire/network-version.ts';
import { MOTIVE } from '../src/shared/wire/rejection.ts';

interface VersionVector {
  chain_name: string;
  distributed_db_version: number;
  p2p_version: number;
  hex: string;
}
const vectors = JSON.parse(readFileSync(new URL('./vectors/handshake.json', import.meta.url), 'utf8')) as {
  network_versions: VersionVector[];
};

function throwsDecoding(fn: () => unknown, reason: DecodingReason): void {
  assert.throws(fn, (err: unknown) => err instanceof DecodingError && err.reason === reason);
}

const node = nodeLocalVersions(MAVRYK_MAINNET);
const remote = (distributedDbVersion: number, p2pVersion: number, chainName = MAVRYK_MAINNET): NetworkVersion => ({
  chainName,
  distributedDbVersion,
  p2pVersion,
});

test('network_versions vectors encode and decode byte-exact (protocol.md §1.2)', () => {
  assert.ok(vectors.network_versions.length >= 2);
  for (const v of vectors.network_versions) {
    const version = { chainName: v.chain_name, distributedDbVersion: v.distributed_db_version, p2pVersion: v.p2p_version };
    assert.equal(encodeNetworkVersion(version).toString('hex'), v.hex);
    assert.deepEqual(decodeNetworkVersion(Buffer.from(v.hex, 'hex')), version);
  }
  assert.equal(encodeNetworkVersion(remote(1, 0, 'main')).toString('hex'), '000000046d61696e00010000');
});

test('decode is exact: trailing byte, truncation and a top-bit length', () => {
  const bytes = encodeNetworkVersion(remote(2, 1));
  throwsDecoding(() => decodeNetworkVersion(Buffer.concat([bytes, Buffer.from([0])])), 'EXTRA_BYTES');
  for (let n = 0; n < bytes.length; n++) throwsDecoding(() => decodeNetworkVersion(bytes.subarray(0, n)), 'NOT_ENOUGH_DATA');
  throwsDecoding(() => decodeNetworkVersion(Buffer.from('80000000', 'hex')), 'INVALID_INT');
  throwsDecoding(() => decodeNetworkVersion(Buffer.from('7fffffff', 'hex')), 'NOT_ENOUGH_DATA');
});

test('chain names round-trip any bytes (latin1 image) and refuse wider code points', () => {
  const raw = Buffer.from([0x00, 0x7f, 0x80, 0xc3, 0xa9, 0xff]);
  const version = remote(0, 0, chainNameFromBytes(raw));
  const bytes = encodeNetworkVersion(version);
  assert.ok(bytes.subarray(4, 4 + raw.length).equals(raw));
  assert.deepEqual(decodeNetworkVersion(bytes), version);
  assert.throws(() => encodeNetworkVersion(remote(0, 0, 'caf\u00e9\u20ac')), EncodingError);
  assert.throws(() => encodeNetworkVersion(remote(65536, 0)), EncodingError);
  assert.throws(() => encodeNetworkVersion(remote(0, -1)), EncodingError);
  assert.throws(() => encodeNetworkVersion(remote(1.5, 0)), EncodingError);
});

test('constants of protocol.md §1.4', () => {
  assert.deepEqual([...NODE_DISTRIBUTED_DB_VERSIONS], [0, 1, 2]);
  assert.deepEqual([...NODE_P2P_VERSIONS], [0, 1]);
  assert.deepEqual(announcedVersion(node), remote(2, 1));
  assert.deepEqual(TEST_UTILS_NETWORK_VERSION, { chainName: SANDBOXED_MAVRYK, distributedDbVersion: 1, p2pVersion: 0 });
  assert.equal(
    encodeNetworkVersion(announcedVersion(node)).toString('hex'),
    '0000000e4d415652594b5f4d41494e4e455400020001',
  );
});

test('announcedVersion takes the greatest of unsorted lists and rejects empty ones', () => {
  assert.deepEqual(announcedVersion({ chainName: 'x', distributedDbVersions: [1, 7, 3], p2pVersions: [2, 0] }), {
    chainName: 'x',
    distributedDbVersion: 7,
    p2pVersion: 2,
  });
  assert.throws(() => announcedVersion({ chainName: 'x', distributedDbVersions: [], p2pVersions: [0] }), RangeError);
  assert.throws(() => announcedVersion({ chainName: 'x', distributedDbVersions: [0], p2pVersions: [] }), RangeError);
});

test('selectVersion: remote (ddb 1, p2p 0) gets (1, 0) (protocol.md §11.2)', () => {
  assert.deepEqual(selectVersion(node, remote(1, 0)), { ok: true, version: remote(1, 0) });
});

test('selectVersion: remote (ddb 3, p2p 1) gets (2, 1) (protocol.md §11.2)', () => {
  assert.deepEqual(selectVersion(node, remote(3, 1)), { ok: true, version: remote(2, 1) });
});

test('selectVersion: remote p2p 7 gets p2p 1, higher versions are never blocked (protocol.md §11.2)', () => {
  assert.deepEqual(selectVersion(node, remote(2, 7)), { ok: true, version: remote(2, 1) });
  assert.deepEqual(selectVersion(node, remote(65535, 65535)), { ok: true, version: remote(2, 1) });
});

test('selectVersion: equal versions and every lower supported one', () => {
  for (const ddb of [0, 1, 2]) {
    for (const p2p of [0, 1]) {
      assert.deepEqual(selectVersion(node, remote(ddb, p2p)), { ok: true, version: remote(ddb, p2p) });
    }
  }
});

test('selectVersion: unsupported lower ddb gives Deprecated_distributed_db_version', () => {
  const local: LocalVersions = { chainName: MAVRYK_MAINNET, distributedDbVersions: [1, 2], p2pVersions: [0, 1] };
  assert.deepEqual(selectVersion(local, remote(0, 1)), { ok: false, motive: MOTIVE.DEPRECATED_DISTRIBUTED_DB_VERSION });
});

test('selectVersion: unsupported lower p2p gives Deprecated_p2p_version', () => {
  const local: LocalVersions = { chainName: MAVRYK_MAINNET, distributedDbVersions: [0, 1, 2], p2pVersions: [1] };
  assert.deepEqual(selectVersion(local, remote(2, 0)), { ok: false, motive: MOTIVE.DEPRECATED_P2P_VERSION });
});

test('selectVersion: when both fail the ddb motive is reported', () => {
  const local: LocalVersions = { chainName: MAVRYK_MAINNET, distributedDbVersions: [2], p2pVersions: [1] };
  assert.deepEqual(selectVersion(local, remote(1, 0)), { ok: false, motive: MOTIVE.DEPRECATED_DISTRIBUTED_DB_VERSION });
});

test('selectVersion: a version in the gaps of a sparse list is refused', () => {
  const local: LocalVersions = { chainName: MAVRYK_MAINNET, distributedDbVersions: [0, 2], p2pVersions: [0, 1] };
  assert.deepEqual(selectVersion(local, remote(1, 1)), { ok: false, motive: MOTIVE.DEPRECATED_DISTRIBUTED_DB_VERSION });
  assert.deepEqual(selectVersion(local, remote(0, 1)), { ok: true, version: remote(0, 1) });
});

test('selectVersion: unknown chain name comes first and compares byte for byte', () => {
  const local: LocalVersions = { chainName: MAVRYK_MAINNET, distributedDbVersions: [2], p2pVersions: [1] };
  assert.deepEqual(selectVersion(local, remote(0, 0, 'TEZOS_MAINNET')), { ok: false, motive: MOTIVE.UNKNOWN_CHAIN_NAME });
  for (const name of ['mavryk_mainnet', SANDBOXED_MAVRYK_MAINNET, 'MAVRYK_MAINNET ', 'MAVRYK_MAINNE', '']) {
    assert.deepEqual(selectVersion(node, remote(2, 1, name)), { ok: false, motive: MOTIVE.UNKNOWN_CHAIN_NAME });
  }
});

test('selectVersion: empty local lists are a programming error', () => {
  assert.throws(() => selectVersion({ chainName: 'x', distributedDbVersions: [], p2pVersions: [0] }, remote(0, 0, 'x')), RangeError);
  assert.throws(() => selectVersion({ chainName: 'x', distributedDbVersions: [0], p2pVersions: [] }, remote(0, 0, 'y')), RangeError);
});
