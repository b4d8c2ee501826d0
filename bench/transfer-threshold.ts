/**
 * Where a received body should stop going through the ring (architecture.md §3): a worker hands
 * main `--count` bodies of each size, either as ring records (Outbox + sendBody: a copy into the
 * ring, a copy out, a join of the parts, what RemoteSession does) or as a transferred ArrayBuffer
 * (one copy into a fresh buffer on the worker, one postMessage, a MESSAGE_TRANSFERRED record for
 * its place). Reports bodies/s at main and main-thread CPU µs per body, for each way, per size.
 * The smallest size where transfer wins on both is TRANSFER_THRESHOLD (src/shared/shard/protocol.ts).
 *
 * Run: ./node_modules/.bin/node bench/transfer-threshold.ts [--count=2000] [--repeats=3] [--sizes=1024,4096,...]
 * Last line: one JSON object: per size, { ring, transfer } bodies/s and main µs per body (medians).
 * This file is also its own worker (the shard side).
 */
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { ConsumerPump } from '../src/shared/ring/pump.ts';
import { createRingBuffer, RingConsumer } from '../src/shared/ring/record-ring.ts';
import { Outbox } from '../src/shared/shard/outbox.ts';
import { RECORD, encodeTransferred, sendBody } from '../src/shared/shard/records.ts';
import { countArg, round, spread } from './common.ts';

const DEFAULT_SIZES = [1024, 2048, 4096, 8 * 1024, 16 * 1024, 32 * 1024, 64 * 1024, 128 * 1024, 512 * 1024];
const RING_CAPACITY = 1 << 20;

interface Job {
  readonly ring: SharedArrayBuffer;
  readonly size: number;
  readonly count: number;
  readonly way: 'ring' | 'transfer';
}

type Signal = { t: 'bell' } | { t: 'space' } | { t: 'body'; body: ArrayBuffer } | { t: 'go' };

if (!isMainThread) {
  const job = workerData as Job;
  const port = parentPort!;
  const outbox = new Outbox(job.ring, () => port.postMessage({ t: 'bell' }));
  const body = Buffer.alloc(job.size, 7);
  port.on('message', (signal: Signal) => {
    if (signal.t === 'space') outbox.onSpace();
    if (signal.t !== 'go') return;
    for (let i = 0; i < job.count; i++) {
      if (job.way === 'ring') sendBody((id, kind, payload) => outbox.send(id, kind, payload), 1, body, outbox.maxPayload);
      else {
        const buffer = new ArrayBuffer(body.length);
        new Uint8Array(buffer).set(body);
        port.postMessage({ t: 'body', body: buffer }, [buffer]);
        outbox.send(1, RECORD.MESSAGE_TRANSFERRED, encodeTransferred(body.length));
      }
    }
  });
} else {
  const argv = process.argv.slice(2);
  const count = countArg(argv, 'count', 2000);
  const repeats = countArg(argv, 'repeats', 3);
  const sizesText = argv.find((a) => a.startsWith('--sizes='))?.slice('--sizes='.length);
  const SIZES = sizesText ? sizesText.split(',').map(Number) : DEFAULT_SIZES;

  const once = (size: number, way: Job['way']): Promise<{ rate: number; mainUs: number }> =>
    new Promise((resolve, reject) => {
      const ring = createRingBuffer(RING_CAPACITY);
      const worker = new Worker(new URL(import.meta.url), { workerData: { ring, size, count, way } satisfies Job });
      const bodies: ArrayBuffer[] = [];
      let parts: Buffer[] = [];
      let received = 0;
      let owed = 0;
      let started = 0;
      let cpu = process.threadCpuUsage();
      const done = (): void => {
        const elapsed = performance.now() - started;
        const used = process.threadCpuUsage(cpu);
        void worker.terminate();
        resolve({ rate: count / (elapsed / 1000), mainUs: (used.user + used.system) / count });
      };
      const pump = new ConsumerPump(new RingConsumer(ring), {
        visit: (_id, kind, payload) => {
          if (kind === RECORD.MESSAGE_PART) parts.push(Buffer.from(payload));
          else if (kind === RECORD.MESSAGE_END) {
            const whole = parts.length === 0 ? Buffer.from(payload) : Buffer.concat([...parts, payload]);
            parts = [];
            if (whole.length !== size) reject(new Error('wrong size'));
            received++;
          } else if (kind === RECORD.MESSAGE_TRANSFERRED) {
            const body = bodies.shift();
            if (!body) {
              owed++; // the record came before its body: it is delivered when the body comes
              return;
            }
            Buffer.from(body);
            received++;
          }
          if (received === count) done();
        },
        onSpace: () => worker.postMessage({ t: 'space' }),
      });
      worker.on('message', (signal: Signal) => {
        if (signal.t === 'bell') pump.wake();
        else if (signal.t === 'body') {
          if (owed === 0) bodies.push(signal.body);
          else {
            owed--;
            Buffer.from(signal.body);
            if (++received === count) done();
          }
        }
      });
      worker.on('error', reject);
      worker.on('online', () => {
        setTimeout(() => {
          started = performance.now();
          cpu = process.threadCpuUsage();
          worker.postMessage({ t: 'go' });
        }, 50);
      });
    });

  const results: Record<string, Record<string, { rate: number; mainUs: number }>> = {};
  console.log(`| body size | ring bodies/s | transfer bodies/s | ring main µs/body | transfer main µs/body |`);
  console.log(`|---:|---:|---:|---:|---:|`);
  for (const size of SIZES) {
    const row: Record<string, { rate: number; mainUs: number }> = {};
    for (const way of ['ring', 'transfer'] as const) {
      const runs = [];
      for (let i = 0; i < repeats; i++) runs.push(await once(size, way));
      row[way] = { rate: round(spread(runs.map((r) => r.rate)).median, 0), mainUs: round(spread(runs.map((r) => r.mainUs)).median, 2) };
    }
    results[String(size)] = row;
    console.log(`| ${size / 1024} KiB | ${row['ring']!.rate} | ${row['transfer']!.rate} | ${row['ring']!.mainUs} | ${row['transfer']!.mainUs} |`);
  }
  console.log(JSON.stringify({ suite: 'transfer-threshold', node: process.version, count, repeats, results }));
}
