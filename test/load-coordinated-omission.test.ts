/**
 * Coordinated omission (the load generator's open loop, src/cli/load/traffic-generator.ts):
 * a target built from the Pool API stops reading for 1 s in the middle of a 5 s constant-rate
 * echo run. Everything due during the stall waits for it, so measured from when it was due the
 * latency distribution must show the stall; measured from when it was sent (what a closed loop
 * reports) it hides it behind one slow sample per connection.
 *
 * Messages due at stall start + x wait 1 s − x: a uniform spread over [0, 1 s] for the 20 % of
 * the run that falls in the stall. p99 is the top 5 % of those, ≥ 0.95 s (exactly 1 s is out of
 * reach for a stall of exactly 1 s: 1 % of all samples are not all due in its first instant),
 * p99.9 ≥ 0.995 s and max ≈ 1 s; margins below for timer jitter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { identityFromKeys, nodeMetadataConfig, Pool, SANDBOXED_MAVRYK, type Connection, type NodeMetadata } from '../src/main/index.ts';
import { generateKeyPair } from '../src/wire/index.ts';
import { percentilesMs } from '../src/cli/load/latency-histogram.ts';
import { TrafficGenerator } from '../src/cli/load/traffic-generator.ts';

function identity() {
  return identityFromKeys(generateKeyPair().secretKey, Buffer.alloc(24, 1));
}

/** An echoing Pool target whose reads all wait while `stalledUntil` is ahead. */
async function stallingTarget(): Promise<{ pool: Pool<Uint8Array, NodeMetadata>; port: number; stall: (ms: number) => void }> {
  let stalledUntil = 0;
  const pool = new Pool<Uint8Array, NodeMetadata>({ identity: identity(), chainName: SANDBOXED_MAVRYK, metadata: nodeMetadataConfig({ disableMempool: false, privateNode: false }), proofOfWorkDifficulty: 0, workers: 0, allowDuplicatePeers: true });
  pool.on('connection', (conn: Connection<Uint8Array, NodeMetadata>) => {
    void (async () => {
      try {
        for (;;) {
          const { message } = await conn.read();
          // Held here, the message that arrives first in the stall waits all of it too.
          const wait = stalledUntil - performance.now();
          if (wait > 0) await sleep(wait);
          if (!conn.writeNow(message)) await conn.write(message);
        }
      } catch {
        // closed
      }
    })();
  });
  const { port } = await pool.listen({ host: '127.0.0.1', port: 0 });
  return { pool, port, stall: (ms) => (stalledUntil = performance.now() + ms) };
}

test('open loop at a constant rate: a target stalled 1 s of 5 s shows in p99 (≥ 0.9 s), p99.9 and max (≈ 1 s); uncorrected, p99 stays small', async (t) => {
  const target = await stallingTarget();
  const generator = new TrafficGenerator(
    { host: '127.0.0.1', port: target.port, mode: 'echo', connections: 4, ramp: undefined, rate: 400, inFlight: 1, chain: SANDBOXED_MAVRYK, timeout: 10_000, connectConcurrency: 4 },
    [identity()],
    () => 64,
  );
  try {
    await generator.start();
    generator.measure();
    await sleep(2000);
    target.stall(1000);
    await sleep(3000);
    await generator.stop();
    const corrected = percentilesMs(generator.window);
    const uncorrected = percentilesMs(generator.uncorrected);
    t.diagnostic(`corrected ${JSON.stringify(corrected)} ms; uncorrected ${JSON.stringify(uncorrected)} ms; ${generator.window.totalCount} samples`);
    // ~2,000 messages were due in 5 s at 400/s; the stall's ~400 all land in the histogram.
    assert.ok(generator.window.totalCount >= 1500, `only ${generator.window.totalCount} latencies recorded`);
    assert.ok(corrected.p99 >= 900, `p99 ${corrected.p99} ms does not show the 1 s stall`);
    assert.ok(corrected.p999 >= 980, `p99.9 ${corrected.p999} ms`);
    assert.ok(corrected.max >= 980, `max ${corrected.max} ms`);
    assert.ok(uncorrected.p99 < 500, `uncorrected p99 ${uncorrected.p99} ms: the stall should hide behind a few samples`);
    assert.deepEqual(generator.counters.errors, {});
  } finally {
    await target.pool.close();
  }
});
