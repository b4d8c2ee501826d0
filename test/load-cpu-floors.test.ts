/**
 * bench/load/floors.ts and the workloads that subtract its floors: W1 splits each side's CPU per
 * message into raw secretbox on the message's chunks and the rest, W3 shows both sides' CPU per
 * handshake beyond its X25519 and TCP floor, W4 shows live bytes per connection next to RSS.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { chunkContentSizes, tcpConnectCloseUs } from '../bench/load/floors.ts';
import type { MemoryReport, WindowReport, WorkloadParams } from '../bench/load/common.ts';
import { bulk } from '../bench/load/w1-bulk.ts';
import { handshake } from '../bench/load/w3-handshake.ts';
import { memory } from '../bench/load/w4-memory.ts';
import type { RunResult } from '../bench/load/workload.ts';
import { MAX_CHUNK_CONTENT } from '../src/shared/session/chunk-layout.ts';

const window = (cpuUs: number, ops: number, accepted = 0): WindowReport => ({ windowMs: 1000, cpuUs, mainCpuUs: cpuUs, ops, bytes: ops, accepted, lastOpMs: 1000, failures: 0, cpuTotalMs: 0 });
const params = {} as WorkloadParams;

test('a 64 KiB message goes in a full chunk and a 23-byte one; any size in chunks of at most MAX_CHUNK_CONTENT covering prefix and body', () => {
  assert.deepEqual(chunkContentSizes(65536), [MAX_CHUNK_CONTENT, 65536 + 4 - MAX_CHUNK_CONTENT]);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1 << 20 }), (size) => {
      const sizes = chunkContentSizes(size);
      assert.equal(sizes.reduce((a, b) => a + b, 0), size + 4);
      assert.equal(sizes.length, Math.ceil((size + 4) / MAX_CHUNK_CONTENT));
      assert.ok(sizes.every((s) => s > 0 && s <= MAX_CHUNK_CONTENT));
    }),
  );
});

test("W1: our pool's CPU per message minus its secretbox cost on each side; the larger rest is the headline; other systems are not split", () => {
  const floors = { sealUsPerMessage: 40, openUsPerMessage: 45 };
  // Sender 1,000 messages for 90 ms of CPU, receiver the same messages for 110 ms.
  const ours = bulk.metrics({ system: 'p2p-inline', client: window(90_000, 1000), server: window(110_000, 1000) } as unknown as RunResult, params, floors);
  assert.equal(ours['senderUs'], 90);
  assert.equal(ours['senderRestUs'], 50);
  assert.equal(ours['receiverUs'], 110);
  assert.equal(ours['receiverRestUs'], 65);
  assert.equal(ours['noncryptoUs'], 65);
  const tls = bulk.metrics({ system: 'tls', client: window(90_000, 1000), server: window(110_000, 1000) } as unknown as RunResult, params, floors);
  assert.equal(tls['receiverUs'], 110);
  assert.equal(tls['receiverRestUs'], undefined);
  assert.equal(tls['noncryptoUs'], undefined);
  const unmeasured = bulk.metrics({ system: 'p2p-sharded', client: window(90_000, 1000), server: window(110_000, 1000) } as unknown as RunResult, params, {});
  assert.equal(unmeasured['noncryptoUs'], undefined, 'no floor, no split');
});

test("W3: both sides' CPU per handshake, and for our pool what is beyond the X25519 + TCP floor", () => {
  const result = (system: string): RunResult => ({ system, server: window(400_000, 0, 1000), client: window(500_000, 1000) }) as unknown as RunResult;
  const ours = handshake.metrics(result('p2p-sharded'), params, { handshakeFloorUs: 300 });
  assert.equal(ours['serverUs'], 400);
  assert.equal(ours['clientUs'], 500);
  assert.equal(ours['bothUs'], 900);
  assert.equal(ours['beyondFloorUs'], 600);
  const tcp = handshake.metrics(result('tcp'), params, { handshakeFloorUs: 300 });
  assert.equal(tcp['bothUs'], 900);
  assert.equal(tcp['beyondFloorUs'], undefined);
});

test('W4: live bytes per connection are the growth of heap used + ArrayBuffers over all threads, next to RSS', () => {
  const usage = (rss: number): NodeJS.MemoryUsage => ({ rss, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 });
  const report: MemoryReport = { baseline: usage(50e6), loaded: usage(80e6), baselineLive: 10e6, loadedLive: 18e6, open: 2000, gcAvailable: true, cpuTotalMs: 0 };
  const metrics = memory.metrics({ memory: report } as unknown as RunResult, params);
  assert.equal(metrics['rssPerConn'], 15_000);
  assert.equal(metrics['liveBytesPerConn'], 4_000);
  assert.ok(memory.serverNodeArgs.some((a) => a.startsWith('--max-semi-space-size=')) && memory.serverNodeArgs.some((a) => a.startsWith('--min-semi-space-size=')));
});

test('the TCP floor counts this process\'s CPU over loopback connections that open and close', async () => {
  const us = await tcpConnectCloseUs(40, 4);
  assert.ok(Number.isFinite(us) && us > 0, `${us} µs per connection`);
});
