/**
 * Option checks name the exact path of what they refused (`options.metadata.codec.encode`,
 * `options.p2pVersions[2]`, `options.accept.negotiatedVersion.p2pVersion`) for any bad value at
 * any depth. The checks build the name only when they throw (validate-options.ts: a field's name
 * is passed as its parent's name and a key), so a check that dropped or doubled a key would still
 * throw, with a wrong name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  validateAcceptOptions,
  validateAuthenticateOptions,
  validateConnectArguments,
  validateDial,
  validatePoolOptions,
} from '../src/main/validate-options.ts';
import { PendingMessageBudget } from '../src/shared/session/pending-message-budget.ts';

type Tree = { [key: string]: unknown };

const version = () => ({ chainName: 'c', distributedDbVersion: 1, p2pVersion: 0 });
const codec = () => ({ encode: () => Buffer.alloc(0), decode: () => 0 });
const identity = () => ({ peerId: 'idx', publicKey: Buffer.alloc(32), secretKey: Buffer.alloc(32), proofOfWorkStamp: Buffer.alloc(24) });
const metadata = () => ({ codec: codec(), privateNode: () => false });
const accept = (): Tree => ({
  codec: codec(),
  incomingMessageQueueSize: 10,
  outgoingMessageQueueSize: 10,
  binaryChunksSize: 1024,
  maxMessageSize: 100,
  signal: new AbortController().signal,
  timeout: 100,
  negotiatedVersion: version(),
  messageTimeout: 100,
  pendingMessageBudget: new PendingMessageBudget(),
});
const authenticate = (): Tree => ({
  identity: identity(),
  incoming: true,
  announcedVersion: version(),
  metadata: metadata(),
  proofOfWorkDifficulty: 0,
  advertisedPort: 1,
  remoteHost: 'h',
  remotePort: 1,
  signal: new AbortController().signal,
  timeout: 100,
  messageNonce: Buffer.alloc(24),
});
const pool = (): Tree => ({
  identity: identity(),
  chainName: 'c',
  distributedDbVersions: [0, 1, 2],
  p2pVersions: [0, 1, 2, 3],
  metadata: metadata(),
  codec: codec(),
  proofOfWorkDifficulty: 0,
  workers: 0,
  maxConnections: 1,
  maxIncomingHandshakes: 1,
  maxIncomingHandshakesPerAddress: 1,
  maxHandshakeTimeouts: 1,
  maxPendingMessageBytes: 1,
  maxUploadSpeed: 1,
  maxDownloadSpeed: 1,
  readBufferSize: 1,
  handshakeTimeout: 1,
  connectTimeout: 1,
  greylistMs: 1,
  privateMode: false,
  trustedPeers: ['a', 'b'],
  allowDuplicatePeers: false,
  disablePeerDiscovery: false,
  advertisedPort: 1,
  accept: accept(),
  policy: () => undefined,
});

/** Every leaf of a valid options tree, as keys from the root: `['accept', 'codec', 'encode']`, `['p2pVersions', 2]`. */
function leaves(tree: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  const plain = Array.isArray(tree) || (typeof tree === 'object' && tree !== null && Object.getPrototypeOf(tree) === Object.prototype);
  if (!plain) return [at];
  const entries: Array<[string | number, unknown]> = Array.isArray(tree) ? tree.map((v, i) => [i, v]) : Object.entries(tree as Tree);
  return [at, ...entries.flatMap(([key, value]) => leaves(value, [...at, key]))].filter((path) => path.length > 0);
}

function nameOf(root: string, path: ReadonlyArray<string | number>): string {
  return root + path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${key}`)).join('');
}

function withValueAt(tree: Tree, path: ReadonlyArray<string | number>, value: unknown): Tree {
  const copy = structuredCloneKeepingFunctions(tree) as Tree;
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
  return copy;
}

/** Copies the plain objects and arrays of a tree; everything else (functions, Buffers, signals) is shared. */
function structuredCloneKeepingFunctions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(structuredCloneKeepingFunctions);
  if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, structuredCloneKeepingFunctions(v)]));
  }
  return value;
}

function thrown(check: () => void): Error | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof TypeError || error instanceof RangeError, `not a TypeError or RangeError: ${String(error)}`);
    return error;
  }
}

const targets: Array<{ what: string; root: string; valid: () => Tree; check: (options: Tree) => void }> = [
  { what: 'pool', root: 'options', valid: pool, check: validatePoolOptions },
  { what: 'authenticate', root: 'options', valid: authenticate, check: validateAuthenticateOptions },
  { what: 'accept', root: 'options', valid: accept, check: validateAcceptOptions },
  { what: 'connect', root: 'options', valid: authenticate, check: (options) => validateConnectArguments('h', 1, options) },
  { what: 'pool.connect point', root: 'point', valid: () => ({ host: 'h', port: 1 }), check: (point) => validateDial(point, {}) },
];

/** Values no check accepts, with the message part that follows the name. */
const ALWAYS_BAD: ReadonlyArray<[unknown, RegExp]> = [
  [Symbol('s'), / must be .*, got Symbol\(s\)$/],
  [10n ** 30n, / must be .*, got the bigint 1000000000000000000000000000000n$/],
];

for (const { what, root, valid, check } of targets) {
  test(`${what}: a valid tree passes, and a value no check accepts is refused by the name of its exact path`, () => {
    assert.equal(thrown(() => check(valid())), undefined);
    for (const path of leaves(valid())) {
      for (const [bad, rest] of ALWAYS_BAD) {
        const error = thrown(() => check(withValueAt(valid(), path, bad)));
        assert.ok(error, `${nameOf(root, path)}: accepted ${String(bad)}`);
        assert.equal(error.message.slice(0, nameOf(root, path).length + 1), `${nameOf(root, path)} `);
        assert.match(error.message, rest);
      }
    }
  });

  test(`${what}: any value at any path is accepted or refused naming that path or a field under it`, () => {
    const paths = leaves(valid());
    const anyValue = fc.oneof(
      fc.anything({ withBigInt: true, withNullPrototype: true, withTypedArray: true, withSparseArray: true, withBoxedValues: true, maxDepth: 2 }),
      fc.constantFrom(-1, 1.5, NaN, Infinity, 2 ** 31, 65536, 2 ** 53, '5', [], {}, [0, 'x'], { codec: {} }, Buffer.alloc(31), new Uint8Array(32)),
    );
    fc.assert(
      fc.property(fc.constantFrom(...paths), anyValue, (path, value) => {
        const error = thrown(() => check(withValueAt(valid(), path, value)));
        if (error === undefined) return;
        const name = nameOf(root, path);
        // The path itself (` must…`, ` is required`), or one of its fields or elements.
        assert.ok([' ', '.', '['].includes(error.message.slice(name.length, name.length + 1)) && error.message.startsWith(name), `${name}: ${error.message}`);
        const required = /^(\S+) is required$/.exec(error.message);
        if (required) assert.equal(value === undefined ? name : required[1]!.slice(0, name.length), name);
      }),
      { numRuns: 1500 },
    );
  });
}
