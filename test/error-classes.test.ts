/**
 * The error classes: every one is named after itself, has its own literal `code`, survives the
 * record a thread crossing carries, and passes `instanceof` of its own class (and no sibling's)
 * even when the class comes from another copy of the library. Pool failures are one class each,
 * all `instanceof PoolError`. An error met in a shard reaches main as its own class, in both modes.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as errors from '../src/shared/errors.ts';
import {
  AlreadyConnectedError,
  DecipherError,
  P2pError,
  PointBannedError,
  PoolError,
  RejectedByNackError,
  ShardFailedError,
  errorFromRecord,
  type AnyP2pError,
  type P2pErrorCode,
} from '../src/shared/errors.ts';
import { makeIdentity } from './support/fixtures.ts';
import { MODES, makePool } from './support/pools.ts';
import { establishedPeer } from './support/scripted-peer.ts';

/**
 * The error module of a second copy of the library, as two installed versions would give: the
 * shared sources copied to a folder of their own, so every class in it is a distinct object.
 */
let secondCopy: Promise<typeof errors> | undefined;
let secondCopyDir: string | undefined;
function importSecondCopy(): Promise<typeof errors> {
  if (secondCopy === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'p2p-socket-copy-'));
    secondCopyDir = dir;
    cpSync(fileURLToPath(new URL('../src/shared', import.meta.url)), join(dir, 'shared'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    secondCopy = import(pathToFileURL(join(dir, 'shared/errors.ts')).href) as Promise<typeof errors>;
  }
  return secondCopy;
}
after(() => {
  if (secondCopyDir !== undefined) rmSync(secondCopyDir, { recursive: true, force: true });
});

type ErrorClass = abstract new (...args: never[]) => P2pError;

/** One instance of every concrete error class the module exports, built with plausible fields. */
function oneOfEach(module: typeof errors): P2pError[] {
  const announced = { chainName: 'X', distributedDbVersion: 0, p2pVersion: 1 };
  return [
    new module.ConnectionClosedError('closed', { systemCode: 'ECONNRESET', beforeHandshake: true }),
    new module.DecipherError(),
    new module.InvalidAuthError(),
    new module.RejectedSocketConnectionError(),
    new module.NotEnoughProofOfWorkError('idsXYZ', 24, 3),
    new module.MyselfError('127.0.0.1', 9732),
    new module.RejectedByNackError(3, ['127.0.0.1:9733']),
    new module.InvalidIncomingCiphertextSizeError(4),
    new module.InvalidMessageSizeError(70_000, 65_519),
    new module.InvalidChunksSizeError(3, 19, 65_535),
    new module.DecodingError('EXTRA_BYTES', 'two bytes left', { path: 'a.b' }),
    new module.EncodingError('no', { path: 'c' }),
    new module.InvalidPublicKeyError(),
    new module.TimeoutError(),
    new module.AbortedError(),
    new module.IdentityMismatchError('idsA', 'idsB'),
    new module.IdentityKeysMismatchError(),
    new module.InsufficientProofOfWorkError(26),
    new module.InvalidIdentityError('missing peer_id'),
    new module.EncodedMessageConsumedError(),
    new module.LentMessageReleasedError(),
    new module.RejectedNoCommonProtocolError(2, announced),
    new module.TooManyConnectionsError('full'),
    new module.AlreadyConnectedError('twice'),
    new module.PointBannedError('banned point'),
    new module.PeerBannedError('banned peer'),
    new module.PrivateModeError('private'),
    new module.RejectedError('nacked'),
    new module.PoolClosedError(),
    new module.ShardFailedError('shard 1 stopped'),
    new module.PolicyFailedError('hook threw'),
  ];
}

/** The concrete classes, by name, as the module exports them. */
function classesOf(module: typeof errors): Map<string, ErrorClass> {
  return new Map(oneOfEach(module).map((error) => [error.name, error.constructor as ErrorClass]));
}

test('every error class is named after itself, and its code is unique', () => {
  const instances = oneOfEach(errors);
  for (const error of instances) {
    const exported = (errors as Record<string, unknown>)[error.name];
    assert.equal(exported, error.constructor, `${error.name} is the name of the class that made it`);
    assert.match(String(error.stack), new RegExp(`^${error.name}: `), 'the stack starts with the class name');
  }
  const codes = instances.map((error) => error.code);
  assert.equal(new Set(codes).size, codes.length, 'one code per class');
  const exportedClasses = Object.entries(errors).filter(([, value]) => typeof value === 'function' && value.prototype instanceof Error && value !== P2pError && value !== PoolError);
  assert.deepEqual(exportedClasses.map(([name]) => name).sort(), instances.map((error) => error.name).sort(), 'the list above covers every exported class');
});

test('instanceof: its own class, its bases, and no sibling class', () => {
  const classes = classesOf(errors);
  for (const error of oneOfEach(errors)) {
    assert.ok(error instanceof P2pError, error.name);
    assert.equal(error instanceof PoolError, error.code in poolCodes, `${error.name} instanceof PoolError`);
    for (const [name, errorClass] of classes) assert.equal(error instanceof errorClass, name === error.name, `${error.name} instanceof ${name}`);
  }
  assert.ok(!(new Error('plain') instanceof P2pError));
  assert.ok(!(Object.assign(new Error('look-alike'), { code: 'POINT_BANNED' }) instanceof PointBannedError));
});

const poolCodes: Partial<Record<P2pErrorCode, true>> = {
  TOO_MANY_CONNECTIONS: true,
  ALREADY_CONNECTED: true,
  POINT_BANNED: true,
  PEER_BANNED: true,
  PRIVATE_MODE: true,
  REJECTED: true,
  POOL_CLOSED: true,
  SHARD_FAILED: true,
  POLICY_FAILED: true,
};

test('instanceof holds for an error made by another copy of the library, class by class', async () => {
  const copy = await importSecondCopy();
  assert.notEqual(copy.DecipherError, DecipherError, 'the second copy has classes of its own');
  const classes = classesOf(errors);
  for (const foreign of oneOfEach(copy)) {
    for (const [name, errorClass] of classes) assert.equal(foreign instanceof errorClass, name === foreign.name, `${foreign.name} (other copy) instanceof ${name}`);
    assert.ok(foreign instanceof P2pError);
  }
  assert.ok(new DecipherError() instanceof copy.DecipherError, 'and the other way round');
});

test('a record rebuilds the same class with the same fields', () => {
  for (const error of oneOfEach(errors)) {
    const rebuilt = errorFromRecord(JSON.parse(JSON.stringify(error.toRecord())));
    assert.equal(rebuilt.constructor, error.constructor, error.name);
    assert.equal(rebuilt.name, error.name);
    assert.equal(rebuilt.message, error.message);
    assert.deepEqual((rebuilt as P2pError).toRecord(), error.toRecord());
  }
});

test('new PoolError(code, message) builds the class for that code', () => {
  const error = new PoolError('SHARD_FAILED', 'shard 0 stopped', { cause: new Error('worker died') });
  assert.ok(error instanceof ShardFailedError);
  assert.equal(error.name, 'ShardFailedError');
  assert.equal(error.code, 'SHARD_FAILED');
  assert.equal(error.message, 'shard 0 stopped');
  assert.equal((error.cause as Error).message, 'worker died');
  assert.ok(new AlreadyConnectedError() instanceof PoolError);
});

test('the union of the error classes narrows on code', () => {
  // Type-checked by tsc: each branch reads fields only its class has.
  const describe = (error: AnyP2pError): string => {
    switch (error.code) {
      case 'REJECTED_BY_NACK':
        return `motive ${error.motive}, ${error.alternativePoints?.length ?? 0} points`;
      case 'NOT_ENOUGH_PROOF_OF_WORK':
        return `offered ${error.offered}`;
      case 'SHARD_FAILED':
        return `shard: ${error.message}`;
      default:
        return error.code;
    }
  };
  assert.equal(describe(new RejectedByNackError(3, [])), 'motive 3, 0 points');
  assert.equal(describe(new ShardFailedError('x')), 'shard: x');
});

for (const { name, workers } of MODES) {
  test(`${name}: an error met where the socket is owned reaches the reader as its own class`, async () => {
    const server = makePool(workers);
    try {
      const { port } = await server.listen();
      const failure = new Promise<unknown>((resolve) => {
        server.on('connection', (conn) => {
          conn.read({ signal: AbortSignal.timeout(15_000) }).then(
            () => resolve(new Error('a message was read')),
            (error: unknown) => resolve(error),
          );
        });
      });
      const peer = await establishedPeer(port, makeIdentity());
      await sleep(50); // the server's Ack is out: the garbage lands on an established connection
      const junk = Buffer.alloc(2 + 40, 0x5a);
      junk.writeUInt16BE(40, 0); // a whole chunk whose tag does not verify
      peer.socket.write(junk);
      const error = await failure;
      assert.ok(error instanceof DecipherError, `got ${String(error)}`);
      assert.equal(error.name, 'DecipherError');
      const copy = await importSecondCopy();
      assert.ok(error instanceof copy.DecipherError, 'and instanceof the class of another copy');
      peer.socket.destroy();
    } finally {
      await server.close();
    }
  });
}
