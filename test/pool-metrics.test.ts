/**
 * Prometheus metrics (pool-metrics.ts): a live pool in both modes, scraped over HTTP from
 * `serveMetrics` (what `listen --metrics-port` runs), and `listen --workers 1 --metrics-port 0`
 * itself. The exposition text is read by a strict parser (test/support/exposition.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { serveMetrics } from '../src/cli/metrics-server.ts';
import { makeIdentity } from './support/fixtures.ts';
import { parseExposition, sumOf, valueOf } from './support/exposition.ts';
import { echo, makePool, MODES } from './support/pools.ts';
import { startCli } from './helpers/cli-process.ts';

const MESSAGES = 20;

async function scrape(url: string): Promise<ReturnType<typeof parseExposition>> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

for (const { name, workers } of MODES) {
  test(`${name}: /metrics of a live pool counts its connection, handshakes, bytes and messages`, async () => {
    const server = makePool(workers);
    const client = makePool(0, { identity: makeIdentity(2) });
    echo(server);
    const metrics = await serveMetrics(server, 0);
    try {
      const { port } = await server.listen();
      const conn = await client.connect({ host: '127.0.0.1', port });
      for (let i = 0; i < MESSAGES; i++) {
        await conn.write(new Uint8Array(1000));
        await conn.read();
      }
      // A shard publishes its totals once per event-loop turn, maybe after the echo was read here,
      // and its last write report may still sit in the ring until main's next pump (24 bytes were
      // seen once at load average 6): wait, bounded, for both. A ring that stays occupied (a lost
      // doorbell) still fails below.
      let parsed = await scrape(`http://127.0.0.1:${metrics.port}/metrics`);
      const sentBytes = (): number => valueOf(parsed, 'p2p_socket_io_scheduler_bytes_total', { direction: 'sent' });
      const ringBytes = (): number => (workers > 0 ? sumOf(parsed, 'p2p_socket_shard_ring_bytes') : 0);
      for (let i = 0; i < 50 && (sentBytes() <= MESSAGES * 1004 || ringBytes() > 0); i++) {
        await sleep(50);
        parsed = await scrape(`http://127.0.0.1:${metrics.port}/metrics`);
      }
      assert.equal(parsed.types.get('p2p_socket_handshakes_total'), 'counter');
      assert.equal(parsed.types.get('p2p_socket_connections'), 'gauge');
      // One family by direction and thread: `main` inline, one series per shard sharded.
      assert.equal(sumOf(parsed, 'p2p_socket_connections', { direction: 'incoming' }), 1);
      assert.equal(sumOf(parsed, 'p2p_socket_connections', { direction: 'outgoing' }), 0);
      const threads = new Set(parsed.samples.filter((s) => s.name === 'p2p_socket_connections').map((s) => s.labels.shard));
      assert.deepEqual([...threads].sort(), workers === 0 ? ['main'] : ['0', '1']);
      assert.equal(valueOf(parsed, 'p2p_socket_handshakes_total', { outcome: 'accepted' }), 1);
      assert.equal(valueOf(parsed, 'p2p_socket_handshakes_total', { outcome: 'incoming' }), 1);
      assert.equal(valueOf(parsed, 'p2p_socket_messages_total', { direction: 'received' }), MESSAGES);
      assert.equal(valueOf(parsed, 'p2p_socket_messages_total', { direction: 'sent' }), MESSAGES);
      // Wire bytes: the payload, its length prefix, chunk headers and tags, and the handshake.
      const received = valueOf(parsed, 'p2p_socket_io_scheduler_bytes_total', { direction: 'received' });
      assert.ok(received > MESSAGES * 1004 && received < MESSAGES * 1004 + 4096, `received ${received}`);
      assert.ok(sentBytes() > MESSAGES * 1004);
      assert.ok(valueOf(parsed, 'p2p_socket_main_event_loop_delay_seconds', { quantile: 'max' }) >= 0);
      assert.equal(parsed.types.get('p2p_socket_io_scheduler_inflow_bytes_per_second'), 'gauge');
      const shardSeries = parsed.samples.filter((s) => s.name === 'p2p_socket_shard_up');
      assert.equal(shardSeries.length, workers);
      if (workers > 0) {
        const held = [0, 1].map((shard) => valueOf(parsed, 'p2p_socket_connections', { shard: String(shard), direction: 'incoming' }));
        assert.deepEqual(held.sort(), [0, 1]);
        // Ring occupancy both ways for each shard: idle rings after the exchange hold nothing.
        for (const shard of ['0', '1']) {
          for (const direction of ['to_shard', 'from_shard']) assert.equal(valueOf(parsed, 'p2p_socket_shard_ring_bytes', { shard, direction }), 0);
        }
        assert.equal(valueOf(parsed, 'p2p_socket_shard_restarts_total', { shard: '0' }), 0);
        const bells = sumOf(parsed, 'p2p_socket_shard_doorbells_total');
        assert.ok(bells > 0, 'doorbells were rung');
      }
      if (workers > 0) {
        // Every family the Grafana dashboard queries exists.
        const dashboard = await readFile(new URL('../docs/grafana-dashboard.json', import.meta.url), 'utf8');
        const queried = new Set(dashboard.match(/p2p_socket_[a-z_]+/g) ?? []);
        assert.ok(queried.size >= 10);
        for (const family of queried) assert.ok(parsed.types.has(family), `${family} is queried by the dashboard`);
      }
      // A nacked peer shows up by outcome and error code.
      const stranger = makePool(0, { identity: makeIdentity(3), chainName: 'OTHER_CHAIN' });
      await assert.rejects(stranger.connect({ host: '127.0.0.1', port }));
      await stranger.close();
      // The nacking side counts once its Nack is written, which may come after the peer read it.
      let after = await scrape(`http://127.0.0.1:${metrics.port}/metrics`);
      for (let i = 0; i < 50 && valueOf(after, 'p2p_socket_handshakes_total', { outcome: 'nacked' }) === 0; i++) {
        await sleep(50);
        after = await scrape(`http://127.0.0.1:${metrics.port}/metrics`);
      }
      assert.equal(valueOf(after, 'p2p_socket_handshakes_total', { outcome: 'nacked' }), 1);
      assert.ok(after.samples.some((s) => s.name === 'p2p_socket_errors_total' && s.value === 1), 'the nack is counted by code');
      const missing = await fetch(`http://127.0.0.1:${metrics.port}/other`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(missing.status, 404);
      await missing.body?.cancel();
    } finally {
      await metrics.close();
      await client.close();
      await server.close();
    }
  });
}

test('listen --workers 1 --metrics-port 0 serves /metrics while it runs', async () => {
  const listener = startCli(['listen', '--workers', '1', '--metrics-port', '0', '--json'], 20_000);
  try {
    let text = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no metrics event: ${text}`)), 15_000);
      listener.child.stdout!.on('data', (chunk: string) => {
        text += chunk;
        const found = /"url":"(http:\/\/127\.0\.0\.1:[0-9]+\/metrics)"/.exec(text);
        if (found) {
          clearTimeout(timer);
          resolve(found[1]!);
        }
      });
    });
    const parsed = await scrape(url);
    assert.equal(valueOf(parsed, 'p2p_socket_shard_up', { shard: '0' }), 1);
    assert.equal(valueOf(parsed, 'p2p_socket_connections', { direction: 'incoming', shard: '0' }), 0);
  } finally {
    listener.child.kill('SIGTERM');
    await Promise.race([once(listener.child, 'close'), listener.done]);
  }
});
