/**
 * Worker side of test/ring-worker.test.ts: writes a seeded record stream into a ring and rings
 * the doorbell (a 'wake' message) only when `needsWake()` says so; waits for a 'space' message
 * from the consumer when the ring is full.
 *
 * workerData: { buffer, seed, count, plan }. Messages out: { type: 'wake' }, then
 * { type: 'done', stats } or { type: 'error', message }. In: { type: 'space' }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RingProducer } from '../../src/shared/ring/record-ring.ts';
import { produceRecords, SpaceSignals, type LengthPlan } from './ring-records.ts';

export interface ProducerWorkerData {
  readonly buffer: SharedArrayBuffer;
  readonly seed: number;
  readonly count: number;
  readonly plan: LengthPlan;
}

export type ProducerWorkerMessage =
  | { readonly type: 'wake' }
  | { readonly type: 'done'; readonly records: number; readonly wakes: number; readonly spaceWaits: number; readonly spurious: number }
  | { readonly type: 'error'; readonly message: string };

const port = parentPort!;
const data = workerData as ProducerWorkerData;
const space = new SpaceSignals();
port.on('message', (message: { type: string }) => {
  if (message.type === 'space') space.signal();
});
const post = (message: ProducerWorkerMessage): void => port.postMessage(message);

try {
  const stats = await produceRecords(new RingProducer(data.buffer), data.seed, data.plan, data.count, {
    wake: () => post({ type: 'wake' }),
    spaceSignal: () => space.next(),
  });
  post({ type: 'done', ...stats, spurious: space.spurious });
} catch (error) {
  post({ type: 'error', message: (error as Error).stack ?? String(error) });
}
port.close();
