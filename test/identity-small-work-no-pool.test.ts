/**
 * Identity generation starts no worker pool for work that takes less than starting one: a search
 * expected to need at most 2^18 hashes runs on the calling thread whatever `threads` says
 * (calling-thread-search.ts); above that, the pool. Workers are counted with the process's
 * 'worker' event, which Node emits for every worker thread created.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateIdentities } from '../src/main/generate-identities.ts';
import { generateIdentity } from '../src/main/generate-identity.ts';
import { checkProofOfWork, makePowTarget } from '../src/shared/crypto/pow.ts';
import { publicKeyOf, type Identity } from '../src/shared/identity.ts';

/** Runs `work`, counting the worker threads started meanwhile. */
async function workersStartedBy<T>(work: () => Promise<T>): Promise<{ result: T; workers: number }> {
  let workers = 0;
  const onWorker = (): void => void workers++;
  process.on('worker', onWorker);
  try {
    return { result: await work(), workers };
  } finally {
    process.off('worker', onWorker);
  }
}

function assertValid(identity: Identity, difficulty: number): void {
  assert.ok(checkProofOfWork(identity.publicKey, identity.proofOfWorkStamp, makePowTarget(difficulty)), `${identity.peerId} misses difficulty ${difficulty}`);
  assert.deepEqual(publicKeyOf(identity.secretKey), identity.publicKey);
}

test('generateIdentity at difficulty 8 with default threads starts no worker thread, 20 times over; each identity meets 8', async () => {
  const { result, workers } = await workersStartedBy(async () => {
    const identities: Identity[] = [];
    for (let i = 0; i < 20; i++) identities.push((await generateIdentity({ difficulty: 8 })).identity);
    return identities;
  });
  assert.equal(workers, 0);
  for (const identity of result) assertValid(identity, 8);
  assert.equal(new Set(result.map((identity) => identity.peerId)).size, 20);
});

test('generateIdentities of 200 at difficulty 8 with default threads starts no worker thread; every identity meets 8 and is distinct', async () => {
  const { result, workers } = await workersStartedBy(() => generateIdentities({ count: 200, difficulty: 8 }));
  assert.equal(workers, 0);
  assert.equal(result.length, 200);
  for (const identity of result) assertValid(identity, 8);
  assert.equal(new Set(result.map((identity) => identity.peerId)).size, 200);
});

test('above the threshold the search runs on the pool: difficulty 18.5 on 2 threads starts 2 workers and meets 18.5', { timeout: 60_000 }, async () => {
  const { result, workers } = await workersStartedBy(() => generateIdentity({ difficulty: 18.5, threads: 2 }));
  assert.equal(workers, 2);
  assertValid(result.identity, 18.5);
});

test('generateIdentities above the threshold runs on the pool: 3 at difficulty 17 on 2 threads start 2 workers', { timeout: 60_000 }, async () => {
  const { result, workers } = await workersStartedBy(() => generateIdentities({ count: 3, difficulty: 17, threads: 2 }));
  assert.equal(workers, 2);
  assert.equal(result.length, 3);
  for (const identity of result) assertValid(identity, 17);
});

test('threads: 0 keeps generateIdentities on the calling thread, however large the batch', async () => {
  const { result, workers } = await workersStartedBy(() => generateIdentities({ count: 3, difficulty: 17, threads: 0 }));
  assert.equal(workers, 0);
  for (const identity of result) assertValid(identity, 17);
});
