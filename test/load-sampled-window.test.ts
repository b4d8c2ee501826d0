/**
 * bench/load/sampled-window.ts: the load benchmark's children cut their windows from their own
 * samples at the parent's mark and report times, so a child that handles `mark` late still
 * reports the window the parent asked for; and W6 divides rates, not counts over two windows.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { ClientSide, ClientConn, Prepared } from '../bench/load/adapter.ts';
import { sampledWindow, sampleIfDue, SAMPLE_MS, type Mark } from '../bench/load/sampled-window.ts';
import type { WindowReport, WorkloadParams } from '../bench/load/common.ts';
import { BROADCAST_MESSAGE_SIZE, broadcast } from '../bench/load/w6-broadcast.ts';
import type { RunResult } from '../bench/load/workload.ts';

const cpu = { user: 0, system: 0 };
const markAt = (at: number, ops: number): Mark => ({ at, cpu, main: cpu, ops, bytes: ops, accepted: 0, failures: 0 });

test('a mark handled 2.9 s late, right before the report, still gives the 3 s window from the samples', () => {
  // 10 messages per ms, sampled every 50 ms from 0 to 4,000 ms; the event loop was busy and
  // handled `mark` (sent at 1,000 ms) at 3,992 ms and `report` (sent at 4,000 ms) at 4,000 ms.
  const samples = Array.from({ length: 81 }, (_, i) => markAt(i * 50, i * 500));
  const handledMark = markAt(3992, 39920);
  const { from, to } = sampledWindow(samples, handledMark, 1000, 4000);
  assert.equal(from.at, 1000);
  assert.equal(to.at, 4000);
  assert.equal(to.ops - from.ops, 30000);
});

test('without samples the window opens at the handled mark', () => {
  const handledMark = markAt(10, 5);
  const only = markAt(3010, 905);
  assert.deepEqual(sampledWindow([only], handledMark, 0, 3000), { from: handledMark, to: only });
});

test('the window is always ordered and bounded by the samples around the parent times', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 2, maxLength: 200 }),
      fc.integer({ min: 0, max: 20000 }),
      fc.integer({ min: 0, max: 20000 }),
      (gaps, a, b) => {
        let at = 0;
        const samples = gaps.map((gap, i) => markAt((at += gap), i));
        const [start, end] = a <= b ? [a, b] : [b, a];
        const { from, to } = sampledWindow(samples, markAt(0, 0), start, end);
        const last = samples[samples.length - 1]!;
        assert.ok(from.at <= to.at);
        assert.ok(to.ops >= from.ops);
        assert.ok(from.at >= start || from === last);
        assert.ok(to.at <= end || to === last);
      },
    ),
    { numRuns: 300 },
  );
});

test("W6's server CPU per message is its CPU rate per delivered message/s, whatever the two windows' lengths", () => {
  // The saturated server's window ran 10 s at 1.3 cores while the client's ran 3 s at 20,000
  // messages/s: 65 µs per delivered message. CPU over the server's window ÷ the client's messages
  // gave 217 µs.
  const window = (windowMs: number, cpuUs: number, ops: number): WindowReport => ({ windowMs, cpuUs, mainCpuUs: cpuUs / 10, ops, bytes: 0, accepted: 0, lastOpMs: windowMs, failures: 0, cpuTotalMs: 0 });
  const result = { server: window(10_000, 13_000_000, 0), client: window(3_000, 1_500_000, 60_000) } as unknown as RunResult;
  const metrics = broadcast.metrics(result, {} as WorkloadParams);
  assert.equal(metrics['msgps'], 20_000);
  assert.equal(metrics['serverUs'], 65);
  assert.equal(metrics['serverMainUs'], 6.5);
  assert.equal(metrics['clientUs'], 25);
});

test('a sample is taken where a message arrives once the last one is SAMPLE_MS old, and never before sampling started', () => {
  const samples: Mark[] = [];
  let now = 0;
  const snapshot = (): Mark => markAt(now, now);
  sampleIfDue(samples, snapshot, (now = 500));
  assert.equal(samples.length, 0, 'no sample before the first one of startSampling');
  samples.push(markAt(0, 0));
  for (const t of [10, SAMPLE_MS - 1, SAMPLE_MS, SAMPLE_MS + 10, 3 * SAMPLE_MS, 3 * SAMPLE_MS]) sampleIfDue(samples, snapshot, (now = t));
  assert.deepEqual(
    samples.map((s) => s.at),
    [0, SAMPLE_MS, 3 * SAMPLE_MS],
  );
});

test("W6's client hands every message it counts to the arrival sampler, so a starved timer still leaves samples", async () => {
  // A client side whose connections deliver what the test hands them: the W6 driver's own
  // callback is what is checked.
  const deliver: Array<(body: Buffer) => void> = [];
  const side: ClientSide = {
    notes: [],
    async prepare() {},
    prepareMessage: (body) => body as unknown as Prepared,
    async connect(_port, _index, onMessage) {
      if (onMessage) deliver.push(onMessage);
      const conn: ClientConn = { send: () => true, drain: async () => {}, close: async () => {}, destroy: () => {} };
      return conn;
    },
  };
  const params = broadcast.params({ echoConnections: 3, messageSize: 100, ingestMessages: 1, inFlight: 1, workers: 2, bulkMessageSize: 1, memoryConnections: 1, quick: true, repeats: 1, seconds: 1, warmup: 1 });
  const driver = await broadcast.clientDriver(side, 1, params);
  let sampled = 0;
  driver.sampleOnArrival?.(() => sampled++);
  for (const onMessage of deliver) onMessage(Buffer.alloc(BROADCAST_MESSAGE_SIZE));
  assert.equal(deliver.length, 3);
  assert.equal(driver.counters.ops, 3);
  assert.equal(sampled, 3, 'the sampler is offered every arrival');
  await driver.stop();
});
