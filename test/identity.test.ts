/**
 * Identity keys, peer ids and identity.json (protocol.md §3, §4.1, §12.3).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { checkProofOfWork, makePowTarget } from '../src/shared/crypto/pow.ts';
import { P2pError } from '../src/shared/errors.ts';
import {
  generateKeyPair,
  identityFromJson,
  identityFromKeys,
  identitySearchRound,
  identityToJson,
  publicKeyOf,
  readIdentityFile,
  writeIdentityFile,
} from '../src/shared/identity.ts';
import type { IdentityJson } from '../src/shared/identity.ts';

interface VectorIdentity {
  secret_key: string;
  public_key: string;
  proof_of_work_stamp: string;
  peer_id_hex: string;
  peer_id: string;
}
interface Vectors {
  identities: Record<'A' | 'B', VectorIdentity>;
  identity_json_A: IdentityJson;
}
const vectors = JSON.parse(
  readFileSync(new URL('./vectors/handshake.json', import.meta.url), 'utf8'),
) as Vectors;
const A = vectors.identities.A;
const B = vectors.identities.B;
const jsonA = vectors.identity_json_A;
const hex = (text: string): Buffer => Buffer.from(text, 'hex');

test('identity vectors A and B: public key, peer id hex and text (protocol.md §3, §4.1)', () => {
  for (const v of [A, B]) {
    assert.equal(publicKeyOf(hex(v.secret_key)).toString('hex'), v.public_key);
    const id = identityFromKeys(hex(v.secret_key), hex(v.proof_of_work_stamp));
    assert.equal(id.publicKey.toString('hex'), v.public_key);
    assert.equal(id.peerIdBytes.toString('hex'), v.peer_id_hex);
    assert.equal(id.peerId, v.peer_id);
    assert.equal(id.secretKey.toString('hex'), v.secret_key, 'the secret key is stored unclamped');
    assert.equal(id.proofOfWorkStamp.toString('hex'), v.proof_of_work_stamp);
  }
});

test('publicKeyOf clamps internally and leaves the secret key untouched (RFC 7748)', () => {
  const sk = hex(A.secret_key);
  const clamped = Buffer.from(sk);
  clamped[0]! &= 248;
  clamped[31]! &= 127;
  clamped[31]! |= 64;
  assert.deepEqual(publicKeyOf(clamped), publicKeyOf(sk));
  assert.equal(sk.toString('hex'), A.secret_key);
});

test('generateKeyPair gives distinct matching pairs', () => {
  const a = generateKeyPair();
  const b = generateKeyPair();
  assert.deepEqual(publicKeyOf(a.secretKey), a.publicKey);
  assert.notDeepEqual(a.secretKey, b.secretKey);
});

test('identity_json_A reads to identity A and writes back identically, field order included', () => {
  const id = identityFromJson(jsonA, { expectedDifficulty: 26 });
  assert.equal(id.peerId, A.peer_id);
  assert.equal(id.publicKey.toString('hex'), A.public_key);
  const out = identityToJson(id);
  assert.deepEqual(out, jsonA);
  assert.deepEqual(Object.keys(out), ['peer_id', 'public_key', 'secret_key', 'proof_of_work_stamp']);
  assert.equal(JSON.stringify(out), JSON.stringify(jsonA));
});

test('peer_id is optional on read and recomputed', () => {
  const { peer_id: _omitted, ...rest } = jsonA;
  assert.equal(identityFromJson(rest).peerId, A.peer_id);
});

test('upper-case hex is accepted and written back lower-case', () => {
  const id = identityFromJson({ ...jsonA, secret_key: jsonA.secret_key.toUpperCase() });
  assert.deepEqual(identityToJson(id), jsonA);
});

function expectError(value: unknown, code: string, options?: { expectedDifficulty?: number }): void {
  assert.throws(
    () => identityFromJson(value, options),
    (error: unknown) => {
      assert.ok(error instanceof P2pError, `a P2pError, got ${String(error)}`);
      assert.equal(error.code, code);
      return true;
    },
  );
}

test('error cases give the right class and code (protocol.md §12.3)', () => {
  expectError({ ...jsonA, peer_id: B.peer_id }, 'IDENTITY_MISMATCH');
  expectError({ ...jsonA, public_key: B.public_key }, 'IDENTITY_MISMATCH');
  // peer_id recomputed from B's key matches, but A's secret key does not give B's key.
  expectError({ public_key: B.public_key, secret_key: A.secret_key, proof_of_work_stamp: A.proof_of_work_stamp }, 'IDENTITY_KEYS_MISMATCH');
  expectError({ ...jsonA, peer_id: B.peer_id, secret_key: B.secret_key }, 'IDENTITY_MISMATCH', {}); // mismatch checked first
  expectError(jsonA, 'INSUFFICIENT_PROOF_OF_WORK', { expectedDifficulty: 27 });
  identityFromJson(jsonA, { expectedDifficulty: 26.5 }); // 0x27d1… ≤ 0x2d41… (protocol.md §2.2 table)
  expectError(jsonA, 'INSUFFICIENT_PROOF_OF_WORK', { expectedDifficulty: 26.9 });

  const invalid: unknown[] = [
    null, 42, 'text', [], [jsonA], true,
    {},
    { ...jsonA, public_key: undefined },
    (({ secret_key: _s, ...r }) => r)(jsonA),
    (({ proof_of_work_stamp: _s, ...r }) => r)(jsonA),
    { ...jsonA, public_key: jsonA.public_key.slice(2) },
    { ...jsonA, secret_key: `${jsonA.secret_key}00` },
    { ...jsonA, proof_of_work_stamp: jsonA.proof_of_work_stamp.slice(0, 47) },
    { ...jsonA, proof_of_work_stamp: `${jsonA.proof_of_work_stamp.slice(0, 46)}zz` },
    { ...jsonA, secret_key: ` ${jsonA.secret_key.slice(1)}` },
    { ...jsonA, public_key: 7 },
    { ...jsonA, peer_id: null },
    { ...jsonA, peer_id: 12 },
    { ...jsonA, peer_id: 'idrDhFF62HJ9vKaYrH3oSxbRXH1zdK' }, // bad checksum
    { ...jsonA, peer_id: 'idrDhFF62HJ9vKaYrH3oSxbRXH1zd0' }, // not base58
    { ...jsonA, peer_id: 'tz1VSUr8wwNhLAzempoch5d6hLRiTh8Cjcjb' }, // not a peer id
    { ...jsonA, extra: 1 }, // the node's JSON destructor refuses unknown fields
  ];
  for (const value of invalid) expectError(value, 'INVALID_IDENTITY');
});

test('identity files: write (mode 0600, pretty, trailing newline), read back, errors', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'p2p-identity-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'identity.json');
  const id = identityFromJson(jsonA);

  await writeFile(path, 'old', { mode: 0o644 });
  await writeIdentityFile(path, id);
  assert.equal(await readFile(path, 'utf8'), `${JSON.stringify(jsonA, null, 2)}\n`);
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  const back = await readIdentityFile(path, { expectedDifficulty: 26 });
  assert.deepEqual(identityToJson(back), jsonA);
  assert.deepEqual(identityToJson(await readIdentityFile(new URL(`file://${path}`))), jsonA);

  await assert.rejects(readIdentityFile(path, { expectedDifficulty: 27 }), { code: 'INSUFFICIENT_PROOF_OF_WORK' });
  await writeFile(path, '{"peer_id": ');
  await assert.rejects(readIdentityFile(path), { code: 'INVALID_IDENTITY' });
  await writeFile(path, '');
  await assert.rejects(readIdentityFile(path), { code: 'INVALID_IDENTITY' });
  await assert.rejects(readIdentityFile(join(dir, 'missing.json')), { code: 'ENOENT' });
});

test('identitySearchRound: a fresh key each round, found stamps check', () => {
  const target = makePowTarget(4);
  const a = identitySearchRound({ targetHex: target.toString('hex'), maxAttempts: 4096 });
  const b = identitySearchRound({ targetHex: target.toString('hex'), maxAttempts: 4096 });
  assert.ok(a.found && b.found);
  assert.notEqual(a.found.secretKey, b.found.secretKey);
  const id = identityFromKeys(hex(a.found.secretKey), hex(a.found.stamp));
  assert.ok(checkProofOfWork(id.publicKey, id.proofOfWorkStamp, target));
  const none = identitySearchRound({ targetHex: makePowTarget(256).toString('hex'), maxAttempts: 10 });
  assert.deepEqual(none, { found: null, attempts: 10 });
});

test('fuzz: identityFromJson on JSON-ish garbage only throws P2pError subclasses', () => {
  const hexOf = (min: number, max: number): fc.Arbitrary<string> =>
    fc.uint8Array({ minLength: min, maxLength: max }).map((b) => Buffer.from(b).toString('hex'));
  const field = (good: string, bytes: number): fc.Arbitrary<unknown> =>
    fc.oneof(
      fc.constant(good),
      hexOf(bytes - 1, bytes + 1),
      fc.string({ minLength: bytes * 2, maxLength: bytes * 2 }),
      fc.constant(good.toUpperCase()),
      fc.anything(),
    );
  const shaped = fc.record(
    {
      peer_id: fc.oneof(fc.constant(A.peer_id), fc.constant(B.peer_id), fc.string({ minLength: 30, maxLength: 30 }), fc.anything()),
      public_key: field(A.public_key, 32),
      secret_key: field(A.secret_key, 32),
      proof_of_work_stamp: field(A.proof_of_work_stamp, 24),
    },
    { requiredKeys: [] },
  );
  const extra = fc.dictionary(fc.string(), fc.anything(), { maxKeys: 2 });
  const value = fc.oneof(fc.anything(), fc.jsonValue(), shaped, fc.tuple(shaped, extra).map(([s, e]) => ({ ...e, ...s })));
  const difficulty = fc.option(fc.oneof(fc.integer({ min: 0, max: 256 }), fc.double({ min: 0, max: 256, noNaN: true })), { nil: undefined });
  fc.assert(
    fc.property(value, difficulty, (v, expectedDifficulty) => {
      try {
        const id = identityFromJson(v, expectedDifficulty === undefined ? {} : { expectedDifficulty });
        // Whatever is accepted is a consistent identity.
        assert.deepEqual(publicKeyOf(id.secretKey), id.publicKey);
        assert.deepEqual(identityFromJson(identityToJson(id)), id);
      } catch (error) {
        if (!(error instanceof P2pError)) throw error;
      }
    }),
    { numRuns: 2000 },
  );
});
