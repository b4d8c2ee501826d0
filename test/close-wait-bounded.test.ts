/**
 * `close({ wait: true })` is bounded as a whole by its `timeout` (DEFAULT_CLOSE_TIMEOUT when not
 * given), in both pool modes: against a peer that finished the handshake and then neither reads
 * nor closes, the wait cannot end by itself (what is queued never leaves, what was handed to the
 * socket is never flushed, no FIN comes back). Past the timeout the close goes on as an immediate
 * one and resets the socket at once: it does not then wait out the transport's close grace
 * (CLOSE_GRACE_MS) for bytes that will never be read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CLOSE_TIMEOUT, type Connection } from '../src/main/connection.ts';
import { CLOSE_GRACE_MS } from '../src/shared/session/transport.ts';
import { makeIdentity } from './support/fixtures.ts';
import { MODES } from './support/pools.ts';
import { withPool } from './support/with-pool.ts';
import { establishedPeer, type ScriptedPeer } from './support/scripted-peer.ts';

type Conn = Connection<Uint8Array, undefined>;

const MESSAGE = 64 * 1024;

/** An established peer that reads nothing more and never closes, and the server's connection to it. */
async function stuckPeer(port: number, connections: Conn[]): Promise<{ peer: ScriptedPeer; conn: Conn }> {
  const peer = await establishedPeer(port, makeIdentity(1));
  peer.socket.pause();
  peer.socket.removeAllListeners('data');
  const deadline = Date.now() + 10_000;
  while (connections.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(connections.length, 1, 'connection not accepted');
  return { peer, conn: connections[0]! };
}

/** Queues `bytes` of 64 KiB messages; the peer reads none of them. */
function queue(conn: Conn, bytes: number): void {
  for (let sent = 0; sent < bytes; sent += MESSAGE) assert.equal(conn.writeNow(new Uint8Array(MESSAGE)), true);
}

/** Settles with how long `promise` took, or rejects after `ms` (a bound on the test). */
async function timed<T>(promise: Promise<T>, ms: number, what: string): Promise<{ value: T; elapsed: number }> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  try {
    const value = await Promise.race([promise, limit]);
    return { value, elapsed: performance.now() - start };
  } finally {
    clearTimeout(timer);
  }
}

const LARGE_BOUND = { accept: { outgoingMessageQueueSize: 64 << 20 } };

for (const { name, workers } of MODES) {
  test(`${name}: close({ wait, timeout }) to a peer that never reads ends within the timeout and drops what was still queued`, async () => {
    await withPool(workers, LARGE_BOUND, async (port, connections) => {
      const { peer, conn } = await stuckPeer(port, connections);
      queue(conn, 16 << 20);
      const timeout = 200;
      // Under the grace: a close that waited it out after the timeout would miss this bound.
      const { value: outcome } = await timed(conn.close({ wait: true, timeout }), timeout + CLOSE_GRACE_MS - 500, 'close');
      assert.ok(outcome.droppedMessages > 0, `dropped ${outcome.droppedMessages} messages`);
      await timed(conn.ended, 1000, 'ended');
      peer.socket.destroy();
    });
  });

  test(`${name}: close({ wait, timeout }) when everything was handed to the socket but the peer neither reads nor closes ends within the timeout, not after the close grace`, async () => {
    await withPool(workers, {}, async (port, connections) => {
      const { peer, conn } = await stuckPeer(port, connections);
      // Small enough for the socket buffers: handed to the socket, reported written, never read.
      queue(conn, 4 * MESSAGE);
      const deadline = Date.now() + 10_000;
      while (conn.queuedOutgoingBytes > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(conn.queuedOutgoingBytes, 0, 'the messages never reached the socket');
      const timeout = 200;
      const { value: outcome } = await timed(conn.close({ wait: true, timeout }), timeout + CLOSE_GRACE_MS - 500, 'close');
      assert.deepEqual(outcome, { droppedMessages: 0, droppedBytes: 0 });
      peer.socket.destroy();
    });
  });

  test(`${name}: close({ wait }) without a timeout waits DEFAULT_CLOSE_TIMEOUT (10 s) and no longer for a peer that never reads`, async (t) => {
    assert.equal(DEFAULT_CLOSE_TIMEOUT, 10_000);
    await withPool(workers, LARGE_BOUND, async (port, connections) => {
      const { peer, conn } = await stuckPeer(port, connections);
      queue(conn, 16 << 20);
      let settled = false;
      // Only this thread's setTimeout is simulated: the close's timer. Sockets and a shard run on real time.
      t.mock.timers.enable({ apis: ['setTimeout'] });
      let closing: Promise<unknown>;
      try {
        closing = conn.close({ wait: true }).finally(() => (settled = true));
        await new Promise((resolve) => setImmediate(resolve));
        t.mock.timers.tick(DEFAULT_CLOSE_TIMEOUT - 1);
        for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
        assert.equal(settled, false, 'the close ended before DEFAULT_CLOSE_TIMEOUT');
        t.mock.timers.tick(1);
      } finally {
        t.mock.timers.reset();
      }
      const { value: outcome } = await timed(closing, CLOSE_GRACE_MS - 500, 'close after the default timeout');
      assert.ok((outcome as { droppedMessages: number }).droppedMessages > 0);
      peer.socket.destroy();
    });
  });
}
