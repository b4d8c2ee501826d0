/**
 * generateIdentity over a piscina pool (protocol.md §2.4, architecture.md §5): results, abort, no hanging threads.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generateIdentity } from '../src/main/generate-identity.ts';
import { checkProofOfWork, makePowTarget } from '../src/shared/crypto/pow.ts';
import { identityFromJson, identityToJson, publicKeyOf } from '../src/shared/identity.ts';
import type { Identity } from '../src/shared/identity.ts';

const run = promisify(execFile);

function assertConsistent(identity: Identity, difficulty: number): void {
  assert.ok(checkProofOfWork(identity.publicKey, identity.proofOfWorkStamp, makePowTarget(difficulty)));
  assert.deepEqual(publicKeyOf(identity.secretKey), identity.publicKey);
  // The JSON round trip runs every identity.json check (protocol.md §12.3).
  assert.deepEqual(identityFromJson(identityToJson(identity), { expectedDifficulty: difficulty }), identity);
}

test('difficulty 10 with 2 threads allowed gives an identity that checks at 10, progress growing', { timeout: 20_000 }, async () => {
  const progress: number[] = [];
  const result = await generateIdentity({
    difficulty: 10,
    threads: 2,
    roundAttempts: 256, // several rounds on average (2^10 expected), so progress is reported
    onProgress: (s) => progress.push(s.attempts),
  });
  assertConsistent(result.identity, 10);
  assert.ok(result.attempts >= 1 && result.seconds > 0 && result.hashesPerSecond > 0);
  assert.deepEqual(progress, [...progress].sort((a, b) => a - b), 'attempts only grow');
});

test('difficulty 0 succeeds at once with a single random stamp', async () => {
  const a = await generateIdentity({ difficulty: 0 });
  const b = await generateIdentity({ difficulty: 0 });
  assert.equal(a.attempts, 1);
  assertConsistent(a.identity, 0);
  assert.notDeepEqual(a.identity.proofOfWorkStamp, b.identity.proofOfWorkStamp);
  assert.notDeepEqual(a.identity.secretKey, b.identity.secretKey);
});

test('threads: 0 searches on the calling thread', async () => {
  const result = await generateIdentity({ difficulty: 8, threads: 0, roundAttempts: 64 });
  assertConsistent(result.identity, 8);
});

test('abort rejects with ABORTED, a timeout signal with TIMEOUT', { timeout: 20_000 }, async () => {
  const controller = new AbortController();
  const pending = generateIdentity({ difficulty: 200, threads: 2, signal: controller.signal });
  setTimeout(() => controller.abort(), 100);
  await assert.rejects(pending, { code: 'ABORTED' });

  await assert.rejects(generateIdentity({ difficulty: 200, threads: 2, signal: AbortSignal.timeout(100) }), {
    code: 'TIMEOUT',
  });
  await assert.rejects(generateIdentity({ difficulty: 200, threads: 0, signal: AbortSignal.timeout(50) }), {
    code: 'TIMEOUT',
  });
  await assert.rejects(generateIdentity({ difficulty: 200, signal: AbortSignal.abort() }), { code: 'ABORTED' });
});

test('an onProgress exception stops the search and rejects with it', { timeout: 20_000 }, async () => {
  const boom = new Error('boom');
  await assert.rejects(
    generateIdentity({ difficulty: 200, threads: 2, roundAttempts: 1000, onProgress: () => { throw boom; } }),
    (error) => error === boom,
  );
});

test('bad options are refused with RangeError', async () => {
  await assert.rejects(generateIdentity({ difficulty: 257 }), RangeError);
  await assert.rejects(generateIdentity({ difficulty: 1, threads: -1 }), RangeError);
  await assert.rejects(generateIdentity({ difficulty: 1, roundAttempts: 0 }), RangeError);
});

test('the process exits promptly after an aborted and a successful generation', { timeout: 20_000 }, async () => {
  // A thread left running would keep the child alive until execFile's timeout kills it.
  const moduleUrl = new URL('../src/main/generate-identity.ts', import.meta.url).href;
  const script = `
    import { generateIdentity } from ${JSON.stringify(moduleUrl)};
    await generateIdentity({ difficulty: 200, threads: 2, signal: AbortSignal.timeout(100) }).catch((e) => console.log(e.code));
    const { identity } = await generateIdentity({ difficulty: 6, threads: 2 });
    console.log(identity.peerId.slice(0, 2));
  `;
  const started = performance.now();
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    timeout: 10_000,
  });
  assert.equal(stdout, 'TIMEOUT\nid\n');
  assert.ok(performance.now() - started < 10_000);
});
