/**
 * Worker side of the consumer-in-worker case of test/ring-worker.test.ts: drains a ring with a
 * `ConsumerPump` driven by 'wake' messages, checks every record against the seeded stream, and
 * answers the producer's waits with 'space' messages.
 *
 * workerData: { buffer, seed, count, plan }. In: { type: 'wake' }. Out: { type: 'space' }, then
 * { type: 'done', records, bytes, sleeps } or { type: 'error', message }.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ConsumerPump } from '../../src/shared/ring/pump.ts';
import { RingConsumer } from '../../src/shared/ring/record-ring.ts';
import { RecordChecker } from './ring-records.ts';
import type { ProducerWorkerData } from './ring-producer-worker.ts';

export type ConsumerWorkerMessage =
  | { readonly type: 'space' }
  | { readonly type: 'done'; readonly records: number; readonly bytes: number; readonly sleeps: number }
  | { readonly type: 'error'; readonly message: string };

const port = parentPort!;
const data = workerData as ProducerWorkerData;
const post = (message: ConsumerWorkerMessage): void => port.postMessage(message);
const checker = new RecordChecker(data.seed, data.plan);
let failed = false;

const pump = new ConsumerPump(new RingConsumer(data.buffer), {
  visit: (connectionId, kind, payload) => {
    if (failed) return;
    try {
      checker.visit(connectionId, kind, payload);
    } catch (error) {
      failed = true;
      post({ type: 'error', message: (error as Error).message });
      port.close();
      return;
    }
    if (checker.seq === data.count) {
      // The pump finishes its batch and may sleep; report once everything arrived.
      setImmediate(() => {
        post({ type: 'done', records: checker.seq, bytes: checker.bytes, sleeps: pump.sleeps });
        port.close();
      });
    }
  },
  onSpace: () => post({ type: 'space' }),
});

port.on('message', (message: { type: string }) => {
  if (message.type === 'wake') pump.wake();
});
