/**
 * Record ring micro benchmarks (architecture.md §3): records/s and MB/s through one SharedArrayBuffer
 * ring for 100-byte and 4 KiB records.
 *
 * - same-thread tryWrite / reserve+commit: one op writes half a ring of records (copying a
 *   payload in, or filling the reserved slot in place), then reads them all (benchmark.js).
 * - cross-thread: a producer worker writes records as fast as the ring lets it (`needsWake`
 *   after every write), the main thread drains; timed from the start message to the last record
 *   read, worker start-up excluded. Two doorbells:
 *     message: wake-ups and space signals as postMessage (the library's choice; `ConsumerPump`);
 *     atomics: `Atomics.waitAsync` on the flags (`sleepAsync` / `waitForSpaceAsync`).
 * - cross-thread postMessage per record: the producer posts each payload (structured clone
 *   copy): the baseline a ring has to beat.
 * The consumer reads the payload's last byte and length only; a real one decodes or copies it.
 *
 * Run: ./node_modules/.bin/node bench/ring.bench.ts [--quick] [--repeats=N]
 * Last line: one JSON object (see `summary`). MB = 10^6 bytes of payload.
 * This file is also its own worker (the producer side), started with `new Worker(import.meta.url)`.
 */
import Benchmark from 'benchmark';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { recordBytes } from '../src/shared/ring/layout.ts';
import { ConsumerPump } from '../src/shared/ring/pump.ts';
import { createRingBuffer, RingConsumer, RingProducer, type RecordVisitor } from '../src/shared/ring/record-ring.ts';
import { countArg, formatSpread, grouped, MB, round, sizeLabel, spread, type Spread } from './common.ts';

const QUICK = process.argv.includes('--quick');
const SIZES = [100, 4096] as const;
/** 256 KiB: the size a shard ring is expected to have (a few socket reads' worth). */
const CAPACITY = 256 * 1024;
/** Producer's hysteresis when the ring is full: wait for a quarter of the ring. */
const SPACE_HYSTERESIS = CAPACITY / 4;
/** A cross-thread run that takes longer than this is stuck (a lost wake-up): fail loudly. */
const RUN_LIMIT_MS = 60_000;

type Doorbell = 'message' | 'atomics' | 'postMessage per record';

interface ProducerJob {
  readonly buffer: SharedArrayBuffer | undefined;
  readonly size: number;
  readonly count: number;
  readonly doorbell: Doorbell;
}

type ToWorker = { readonly type: 'start' } | { readonly type: 'space' };
type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'wake' }
  | { readonly type: 'record'; readonly payload: Uint8Array }
  | { readonly type: 'done'; readonly wakes: number; readonly spaceWaits: number };

// ------------------------------------------------------------------ producer worker

async function producerWorker(job: ProducerJob): Promise<void> {
  const port = parentPort!;
  const post = (message: FromWorker): void => port.postMessage(message);
  let onSpace: (() => void) | undefined;
  let onStart: (() => void) | undefined;
  port.on('message', (message: ToWorker) => {
    if (message.type === 'start') onStart?.();
    else if (message.type === 'space') {
      const resolve = onSpace;
      onSpace = undefined;
      resolve?.();
    }
  });
  await new Promise<void>((resolve) => {
    onStart = resolve;
    post({ type: 'ready' });
  });
  const payload = randomBytes(job.size);
  if (job.doorbell === 'postMessage per record') {
    for (let i = 0; i < job.count; i++) post({ type: 'record', payload });
    post({ type: 'done', wakes: job.count, spaceWaits: 0 });
    return;
  }
  const producer = new RingProducer(job.buffer!);
  const messages = job.doorbell === 'message';
  let wakes = 0;
  let spaceWaits = 0;
  for (let i = 0; i < job.count; ) {
    const written = producer.tryWrite(i, 1, payload);
    if (producer.needsWake()) {
      wakes++;
      if (messages) post({ type: 'wake' });
    }
    if (written) {
      i++;
      continue;
    }
    if (producer.prepareToWaitForSpace(job.size, SPACE_HYSTERESIS)) {
      spaceWaits++;
      if (messages) await new Promise<void>((resolve) => (onSpace = resolve));
      else await producer.waitForSpaceAsync();
    }
  }
  post({ type: 'done', wakes, spaceWaits });
}

if (!isMainThread) {
  await producerWorker(workerData as ProducerJob);
} else {
  await main();
}

// ------------------------------------------------------------------ main thread

interface Row {
  readonly name: string;
  readonly size: number;
  readonly records: Spread;
  /** Records per wake-up (cross-thread ring cases). */
  readonly perWake?: number;
}

async function main(): Promise<void> {
  const repeats = countArg(process.argv, 'repeats', QUICK ? 1 : 3);
  const options: Benchmark.Options = QUICK ? { maxTime: 0.25, minSamples: 3 } : { maxTime: 1, minSamples: 8 };
  const rows: Row[] = [];

  // Same thread, benchmark.js.
  let sink = 0;
  const suite = new Benchmark.Suite('ring');
  const perOp = new Map<string, { size: number; records: number }>();
  for (const size of SIZES) {
    const buffer = createRingBuffer(CAPACITY);
    const producer = new RingProducer(buffer);
    const consumer = new RingConsumer(buffer);
    const payload = randomBytes(size);
    const batch = Math.floor(CAPACITY / 2 / recordBytes(size));
    const visit: RecordVisitor = (_id, _kind, bytes) => {
      sink += bytes.length + bytes[bytes.length - 1]!;
    };
    const check = (): void => {
      if (consumer.read(visit) !== batch) throw new Error('benchmark self-check failed: batch lost');
    };
    const viaTryWrite = `same-thread tryWrite ${sizeLabel(size)}`;
    perOp.set(viaTryWrite, { size, records: batch });
    suite.add(
      viaTryWrite,
      () => {
        for (let i = 0; i < batch; i++) if (!producer.tryWrite(i, 1, payload)) throw new Error('ring full');
        check();
      },
      options,
    );
    const viaReserve = `same-thread reserve+commit ${sizeLabel(size)}`;
    perOp.set(viaReserve, { size, records: batch });
    suite.add(
      viaReserve,
      () => {
        for (let i = 0; i < batch; i++) {
          const slot = producer.reserve(i, 1, size);
          if (slot === undefined) throw new Error('ring full');
          slot.set(payload);
          producer.commit();
        }
        check();
      },
      options,
    );
  }
  suite.on('cycle', (event: Benchmark.Event) => {
    console.log(String(event.target));
    const info = perOp.get(event.target.name)!;
    const hz = event.target.hz * info.records;
    const rme = event.target.stats.rme / 100;
    rows.push({ name: event.target.name, size: info.size, records: { median: hz, min: hz * (1 - rme), max: hz * (1 + rme) } });
  });
  suite.run({ async: false });

  // Cross thread: producer worker → main consumer.
  for (const size of SIZES) {
    const bytes = QUICK ? 100e6 : 400e6;
    const count = Math.round(Math.min(QUICK ? 500_000 : 2_000_000, bytes / size));
    for (const doorbell of ['message', 'atomics', 'postMessage per record'] as const) {
      const runCount = doorbell === 'postMessage per record' ? Math.min(count, QUICK ? 50_000 : 200_000) : count;
      const rates: number[] = [];
      const perWakes: number[] = [];
      const spaceWaits: number[] = [];
      for (let r = 0; r < repeats; r++) {
        const result = await crossThread(size, runCount, doorbell);
        rates.push(result.recordsPerSecond);
        perWakes.push(result.perWake);
        spaceWaits.push(result.spaceWaits);
        sink += result.sink;
      }
      const name = `cross-thread ${doorbell} ${sizeLabel(size)}`;
      const records = spread(rates);
      const perWake = spread(perWakes).median;
      console.log(
        `${name}: ${grouped(records.median)} records/s (${repeats} runs of ${grouped(runCount)}), ` +
          `${grouped(perWake)} records per wake-up, ${grouped(spread(spaceWaits).median)} space waits (medians)`,
      );
      rows.push({ name, size, records, ...(doorbell === 'postMessage per record' ? {} : { perWake }) });
    }
  }

  const slowest = Math.min(...rows.map((r) => r.records.median));
  console.log(`\nring ${sizeLabel(CAPACITY)}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; median (min–max)`);
  console.table(
    rows.map((r) => ({
      case: r.name,
      'records/s': formatSpread(r.records),
      'MB/s': formatSpread({ median: (r.records.median * r.size) / MB, min: (r.records.min * r.size) / MB, max: (r.records.max * r.size) / MB }, 0),
      'records/wake-up': r.perWake === undefined ? '' : grouped(r.perWake),
      'relative to slowest': `${(r.records.median / slowest).toFixed(1)}×`,
    })),
  );
  const summary: Record<string, unknown> = { suite: 'ring', capacity: CAPACITY, quick: QUICK, sink: sink % 2 };
  for (const r of rows) {
    const key = r.name.replaceAll(' ', '_').replaceAll('+', '_');
    summary[key] = { records_per_s: Math.round(r.records.median), mb_per_s: round((r.records.median * r.size) / MB), ...(r.perWake === undefined ? {} : { records_per_wake: round(r.perWake) }) };
  }
  console.log(JSON.stringify(summary));
}

interface CrossResult {
  readonly recordsPerSecond: number;
  readonly perWake: number;
  readonly spaceWaits: number;
  readonly sink: number;
}

async function crossThread(size: number, count: number, doorbell: Doorbell): Promise<CrossResult> {
  const buffer = doorbell === 'postMessage per record' ? undefined : createRingBuffer(CAPACITY);
  const job: ProducerJob = { buffer, size, count, doorbell };
  const worker = new Worker(new URL(import.meta.url), { workerData: job });
  let received = 0;
  let sink = 0;
  const visit: RecordVisitor = (_id, _kind, bytes) => {
    sink += bytes.length + bytes[bytes.length - 1]!;
    if (++received === count) finished = performance.now();
  };
  let started = 0;
  let finished = 0;
  let timer: NodeJS.Timeout | undefined;
  let wakes = 0;
  let spaceWaits = 0;
  const consumer = buffer ? new RingConsumer(buffer) : undefined;
  const pump = consumer && doorbell === 'message' ? new ConsumerPump(consumer, { visit, onSpace: () => worker.postMessage({ type: 'space' } satisfies ToWorker) }) : undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const checkDone = (): boolean => {
        if (received < count) return false;
        resolve();
        return true;
      };
      worker.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
            started = performance.now();
            worker.postMessage({ type: 'start' } satisfies ToWorker);
            if (consumer && doorbell === 'atomics') void atomicsConsumer(consumer, visit, checkDone).catch(reject);
            break;
          case 'wake':
            pump!.wake();
            break;
          case 'record':
            visit(0, 1, message.payload);
            checkDone();
            break;
          case 'done':
            wakes = message.wakes;
            spaceWaits = message.spaceWaits;
            if (pump) {
              const poll = (): void => void (checkDone() || setTimeout(poll, 0));
              poll();
            }
            break;
        }
      });
      worker.on('error', reject);
      worker.on('exit', (code) => (received < count ? reject(new Error(`producer exited (${code}) after ${received} records`)) : resolve()));
      timer = setTimeout(() => reject(new Error(`${doorbell} ${sizeLabel(size)}: stuck after ${received}/${count} records`)), RUN_LIMIT_MS);
    });
  } finally {
    clearTimeout(timer);
    await worker.terminate();
  }
  if (pump && pump.records !== count) throw new Error(`benchmark self-check failed: ${pump.records}/${count} records`);
  const seconds = (finished - started) / 1000;
  return { recordsPerSecond: count / seconds, perWake: count / Math.max(1, wakes), spaceWaits, sink };
}

/**
 * The `Atomics.waitAsync` doorbell, with the same turn structure as `ConsumerPump`: drain up to
 * `budget` records a turn (yielding with setImmediate when the budget is used), sleep on the
 * flag when the ring is empty. Space signals are the flag claim's `Atomics.notify`.
 */
async function atomicsConsumer(consumer: RingConsumer, visit: RecordVisitor, done: () => boolean): Promise<void> {
  const budget = 1024;
  for (;;) {
    let turn = 0;
    let sleep = false;
    for (;;) {
      const n = consumer.read(visit, budget - turn);
      turn += n;
      if (n > 0) consumer.needsSpaceSignal();
      if (done()) return;
      if (turn >= budget) break;
      if (n === 0 && consumer.prepareToSleep()) {
        sleep = true;
        break;
      }
    }
    if (sleep) await consumer.sleepAsync();
    else await new Promise((resolve) => setImmediate(resolve));
  }
}
