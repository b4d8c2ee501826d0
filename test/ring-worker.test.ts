/**
 * The record ring across threads: 200k seeded records with canaries and sequence numbers through
 * a 64 KiB ring, producer in a worker and consumer on main, then the reverse. Doorbells are
 * messages posted only when `needsWake()` says so; the test checks that they are batched
 * (on average ≥ 3 records a wake-up, where one wake-up per record would be 1; ~45 measured on 2
 * idle cores, ~27 with three runs at once, below 10 once at load average 10).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { ConsumerPump } from '../src/shared/ring/pump.ts';
import { createRingBuffer, RingConsumer, RingProducer } from '../src/shared/ring/record-ring.ts';
import { produceRecords, RecordChecker, SpaceSignals, testSeed, type LengthPlan } from './support/ring-records.ts';
import type { ConsumerWorkerMessage } from './support/ring-consumer-worker.ts';
import type { ProducerWorkerData, ProducerWorkerMessage } from './support/ring-producer-worker.ts';

const CAPACITY = 64 * 1024;
const COUNT = 200_000;
/** Mostly small records, some up to a quarter of the ring (~1 KiB on average, ~200 MB in all). */
const PLAN: LengthPlan = { max: CAPACITY / 4, smallShare: 0.9, smallMax: 512 };
const TIMEOUT_MS = 20_000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface ProducerRun {
  readonly capacity: number;
  readonly count: number;
  readonly plan: LengthPlan;
  /** Average records per wake-up must exceed this. */
  readonly minBatch: number;
}

async function producerInWorker(t: TestContext, { capacity, count: COUNT, plan: PLAN, minBatch }: ProducerRun): Promise<void> {
  const seed = testSeed();
  t.diagnostic(`seed ${seed} (replay: RING_SEED=${seed})`);
  const buffer = createRingBuffer(capacity);
  const data: ProducerWorkerData = { buffer, seed, count: COUNT, plan: PLAN };
  const worker = new Worker(new URL('./support/ring-producer-worker.ts', import.meta.url), { workerData: data });
  const checker = new RecordChecker(seed, PLAN);
  let wakesReceived = 0;
  let spaceSent = 0;
  const pump = new ConsumerPump(new RingConsumer(buffer), {
    visit: checker.visit,
    onSpace: () => {
      spaceSent++;
      worker.postMessage({ type: 'space' });
    },
  });
  const started = performance.now();
  try {
    const done = await withTimeout(
      new Promise<Extract<ProducerWorkerMessage, { type: 'done' }>>((resolve, reject) => {
        let report: Extract<ProducerWorkerMessage, { type: 'done' }> | undefined;
        const finish = (): void => {
          if (report && checker.seq === COUNT) resolve(report);
        };
        worker.on('message', (message: ProducerWorkerMessage) => {
          if (message.type === 'wake') {
            wakesReceived++;
            try {
              pump.wake();
            } catch (error) {
              reject(error);
              return;
            }
          } else if (message.type === 'done') {
            // The pump may still be draining the last records in later turns.
            report = message;
            const poll = (): void => (checker.seq === COUNT ? finish() : void setTimeout(poll, 1));
            poll();
          } else {
            reject(new Error(`producer worker: ${message.message}`));
          }
        });
        worker.on('error', reject);
        worker.on('exit', (code) => {
          if (!report) reject(new Error(`producer worker exited (${code}) before finishing`));
        });
      }),
      'producer worker',
    );
    const ms = performance.now() - started;
    assert.equal(checker.seq, COUNT);
    assert.equal(done.records, COUNT);
    assert.equal(done.wakes, wakesReceived, 'every wake-up the producer posted arrived');
    assert.equal(pump.records, COUNT);
    t.diagnostic(
      `${COUNT} records, ${(checker.bytes / 1e6).toFixed(0)} MB in ${ms.toFixed(0)} ms; ` +
        `${done.wakes} wake-ups (${(COUNT / Math.max(1, done.wakes)).toFixed(0)} records each), ` +
        `${done.spaceWaits} space waits, ${spaceSent} space signals, ${done.spurious} spurious`,
    );
    assert.ok(done.wakes >= 1);
    assert.ok(done.wakes * minBatch < COUNT, `wake-ups are batched: ${done.wakes} for ${COUNT} records`);
    assert.ok(done.spaceWaits <= spaceSent, 'every wait was answered (or resolved by a spurious signal)');
  } catch (error) {
    throw new Error(`ring worker test failed with seed ${seed} (replay: RING_SEED=${seed}): ${(error as Error).message}`, { cause: error });
  } finally {
    await worker.terminate();
  }
}

test('producer in a worker, consumer on main: 200k records arrive exactly once, in order, intact', (t) =>
  producerInWorker(t, { capacity: CAPACITY, count: COUNT, plan: PLAN, minBatch: 3 }));

// A tiny ring and tiny records: the consumer empties the ring and goes to sleep, and the
// producer fills it and waits for space, thousands of times; a lost wake-up or space signal
// would stall the run until the timeout.
test('lost wake-up hunt: 100k tiny records through a 256-byte ring', (t) =>
  producerInWorker(t, { capacity: 256, count: 100_000, plan: { max: 40 }, minBatch: 1 }));

test('consumer in a worker, producer on main: 200k records arrive exactly once, in order, intact', async (t) => {
  const seed = testSeed();
  t.diagnostic(`seed ${seed} (replay: RING_SEED=${seed})`);
  const buffer = createRingBuffer(CAPACITY);
  const data: ProducerWorkerData = { buffer, seed, count: COUNT, plan: PLAN };
  const worker = new Worker(new URL('./support/ring-consumer-worker.ts', import.meta.url), { workerData: data });
  const space = new SpaceSignals();
  const started = performance.now();
  try {
    const result = new Promise<Extract<ConsumerWorkerMessage, { type: 'done' }>>((resolve, reject) => {
      worker.on('message', (message: ConsumerWorkerMessage) => {
        if (message.type === 'space') space.signal();
        else if (message.type === 'done') resolve(message);
        else reject(new Error(`consumer worker: ${message.message}`));
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`consumer worker exited (${code}) before reporting`)));
    });
    // If the consumer fails, stop producing: the rejection surfaces through the race below.
    const produced = produceRecords(new RingProducer(buffer), seed, PLAN, COUNT, {
      wake: () => worker.postMessage({ type: 'wake' }),
      spaceSignal: () => Promise.race([space.next(), result.then(() => {})]),
    });
    const [stats, done] = await withTimeout(Promise.all([produced, result]), 'consumer worker');
    const ms = performance.now() - started;
    assert.equal(done.records, COUNT);
    assert.equal(stats.records, COUNT);
    t.diagnostic(
      `${COUNT} records, ${(done.bytes / 1e6).toFixed(0)} MB in ${ms.toFixed(0)} ms; ` +
        `${stats.wakes} wake-ups, consumer slept ${done.sleeps} times, ${stats.spaceWaits} space waits, ${space.spurious} spurious`,
    );
    assert.ok(stats.wakes * 10 < COUNT, `wake-ups are batched: ${stats.wakes} for ${COUNT} records`);
  } catch (error) {
    throw new Error(`ring worker test failed with seed ${seed} (replay: RING_SEED=${seed}): ${(error as Error).message}`, { cause: error });
  } finally {
    await worker.terminate();
  }
});
