/**
 * Proof of work (protocol.md §2): targets, the little-endian check, and the bounded search.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { checkProofOfWork, makePowTarget, proofOfWorkHash, searchProofOfWork } from '../src/shared/crypto/pow.ts';

interface VectorIdentity {
  public_key: string;
  proof_of_work_stamp: string;
  pow_hash: string;
  pow_passes: Record<string, boolean>;
}
interface Vectors {
  pow_targets: { difficulty: number; target_hex: string }[];
  identities: Record<'A' | 'B', VectorIdentity>;
}
const vectors = JSON.parse(
  readFileSync(new URL('./vectors/handshake.json', import.meta.url), 'utf8'),
) as Vectors;

const hex = (text: string): Buffer => Buffer.from(text, 'hex');

test('makePowTarget matches every pow_targets vector (protocol.md §2.2)', () => {
  assert.ok(vectors.pow_targets.length > 0);
  for (const { difficulty, target_hex } of vectors.pow_targets) {
    assert.equal(makePowTarget(difficulty).toString('hex'), target_hex, `difficulty ${difficulty}`);
  }
});

test('makePowTarget: integer difficulty d gives 2^(256-d) - 1', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 256 }), (d) => {
      const expected = (1n << BigInt(256 - d)) - 1n;
      assert.equal(makePowTarget(d).toString('hex'), expected.toString(16).padStart(64, '0'));
    }),
  );
});

test('makePowTarget: fractional difficulties sit between their integer neighbours', () => {
  fc.assert(
    fc.property(fc.double({ min: 0, max: 256, noNaN: true }), (f) => {
      const t = BigInt(`0x${makePowTarget(f).toString('hex')}`);
      const lower = BigInt(`0x${makePowTarget(Math.ceil(f)).toString('hex')}`);
      const upper = BigInt(`0x${makePowTarget(Math.floor(f)).toString('hex')}`);
      assert.ok(lower <= t && t <= upper);
    }),
  );
});

test('makePowTarget refuses difficulties outside [0, 256] with RangeError', () => {
  for (const bad of [-1, -0.0001, 256.0001, 257, Number.NaN, Infinity, -Infinity]) {
    assert.throws(() => makePowTarget(bad), RangeError, String(bad));
  }
});

test('pow_hash and pow_passes for identities A and B (protocol.md §2.1)', () => {
  for (const name of ['A', 'B'] as const) {
    const id = vectors.identities[name];
    const pk = hex(id.public_key);
    const stamp = hex(id.proof_of_work_stamp);
    assert.equal(proofOfWorkHash(pk, stamp).toString('hex'), id.pow_hash, name);
    for (const [difficulty, passes] of Object.entries(id.pow_passes)) {
      assert.equal(checkProofOfWork(pk, stamp, makePowTarget(Number(difficulty))), passes, `${name} at ${difficulty}`);
    }
  }
});

test('the digest is read little-endian: equality with the target passes, one more fails', () => {
  const id = vectors.identities.A;
  const pk = hex(id.public_key);
  const stamp = hex(id.proof_of_work_stamp);
  const digestLe = Buffer.from(hex(id.pow_hash)).reverse(); // big-endian view of the LE integer
  assert.equal(checkProofOfWork(pk, stamp, digestLe), true);
  const oneLess = BigInt(`0x${digestLe.toString('hex')}`) - 1n;
  assert.equal(checkProofOfWork(pk, stamp, hex(oneLess.toString(16).padStart(64, '0'))), false);
});

test('vector stamps are the smallest counters meeting difficulty 26: a search from 4096 below finds them', () => {
  // protocol.md §2.2: no counter in [0, stamp) passes, so a search started 4096 below the stamp must
  // stop exactly on it, after 4097 attempts (the whole range from zero would take ~40 s for B).
  for (const name of ['A', 'B'] as const) {
    const id = vectors.identities[name];
    const start = BigInt(`0x${id.proof_of_work_stamp}`) - 4096n;
    const result = searchProofOfWork(hex(id.public_key), makePowTarget(26), {
      start: hex(start.toString(16).padStart(48, '0')),
      maxAttempts: 10_000,
    });
    assert.equal(result.stamp?.toString('hex'), id.proof_of_work_stamp, name);
    assert.equal(result.attempts, 4097);
  }
});

test('searchProofOfWork at difficulty 8 from a random start finds a stamp that checks', () => {
  const pk = randomBytes(32);
  const target = makePowTarget(8);
  const start = randomBytes(24);
  const startCopy = Buffer.from(start);
  // 2^8 expected; 2^16 attempts fail with probability (1 - 2^-8)^65536 ≈ e^-256.
  const { stamp, attempts } = searchProofOfWork(pk, target, { start, maxAttempts: 1 << 16 });
  assert.ok(stamp !== undefined);
  assert.equal(checkProofOfWork(pk, stamp, target), true);
  assert.deepEqual(start, startCopy, 'the start stamp is not modified');
  // The winner is start + (attempts - 1) as a 192-bit big-endian counter (protocol.md §2.4).
  const expected = (BigInt(`0x${start.toString('hex')}`) + BigInt(attempts - 1)) % (1n << 192n);
  assert.equal(stamp.toString('hex'), expected.toString(16).padStart(48, '0'));
});

test('searchProofOfWork without a start uses a random one', () => {
  const pk = randomBytes(32);
  const a = searchProofOfWork(pk, makePowTarget(0), { maxAttempts: 1 });
  const b = searchProofOfWork(pk, makePowTarget(0), { maxAttempts: 1 });
  assert.ok(a.stamp && b.stamp);
  assert.notDeepEqual(a.stamp, b.stamp);
});

test('searchProofOfWork respects maxAttempts', () => {
  const pk = randomBytes(32);
  const unreachable = makePowTarget(256); // only an all-zero digest passes
  for (const maxAttempts of [0, 1, 7, 1000]) {
    assert.deepEqual(searchProofOfWork(pk, unreachable, { maxAttempts }), { stamp: undefined, attempts: maxAttempts });
  }
  // Wraps around 2^192 like the nonce counter.
  const wrap = searchProofOfWork(pk, makePowTarget(0), { start: Buffer.alloc(24, 0xff), maxAttempts: 1 });
  assert.equal(wrap.attempts, 1);
  for (const bad of [-1, 1.5, Number.NaN]) {
    assert.throws(() => searchProofOfWork(pk, unreachable, { maxAttempts: bad }), RangeError);
  }
});

test('wrong lengths are refused with RangeError', () => {
  const pk = randomBytes(32);
  const stamp = randomBytes(24);
  const target = makePowTarget(1);
  assert.throws(() => checkProofOfWork(randomBytes(31), stamp, target), RangeError);
  assert.throws(() => checkProofOfWork(pk, randomBytes(23), target), RangeError);
  assert.throws(() => checkProofOfWork(pk, stamp, randomBytes(16)), RangeError);
  assert.throws(() => searchProofOfWork(pk, target, { start: randomBytes(25), maxAttempts: 1 }), RangeError);
});
