/**
 * What a server author expects of a connection and a pool (the ws / undici / secret-stream
 * conventions), in both modes: async iteration, waiting for room after `writeNow` returned
 * false, AbortSignal on close and listen, the negotiated version, and options checked up front.
 * Loopback only, port 0; every wait is bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as netConnect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from '../src/main/connection.ts';
import { connect } from '../src/main/connect.ts';
import { connectedPair, handshakeOptions, makeIdentity } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';

type Conn = Connection<Uint8Array, undefined>;

/** Fills `conn`'s outgoing queue towards a peer that does not read; returns how many were queued. */
async function fillUntilRefused(conn: Conn, message: Uint8Array): Promise<number> {
  let queued = 0;
  let refusedInARow = 0;
  for (let i = 0; i < 5000 && refusedInARow < 10; i++) {
    if (conn.writeNow(message)) {
      queued++;
      refusedInARow = 0;
    } else {
      refusedInARow++;
      await sleep(5);
    }
  }
  assert.equal(refusedInARow, 10, `writeNow never refused (${queued} queued)`);
  return queued;
}

/** Resolves when nothing accepts connections on `port` any more. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

for (const { name, workers } of MODES) {
  test(`${name}: for await (const { message } of conn) echoes, and the loop ends when the peer closes`, async () => {
    const server = makePool(workers);
    const client = makePool(workers, { identity: makeIdentity(1) });
    let loopEnded!: (outcome: string) => void;
    const serverLoop = new Promise<string>((resolve) => (loopEnded = resolve));
    server.on('connection', (conn) => {
      void (async () => {
        try {
          for await (const { message } of conn) await conn.write(message);
          loopEnded('ended');
        } catch (error) {
          loopEnded(`threw ${(error as Error).message}`);
        }
      })();
    });
    try {
      const { port } = await server.listen();
      const conn = await client.connect({ host: '127.0.0.1', port });
      for (const text of ['a', 'bb', 'ccc']) await conn.write(Buffer.from(text));
      const echoed: string[] = [];
      for await (const { message, size } of conn) {
        assert.equal(size, message.length + 4);
        echoed.push(Buffer.from(message).toString());
        if (echoed.length === 3) break;
      }
      assert.deepEqual(echoed, ['a', 'bb', 'ccc']);
      assert.equal(conn.closed, true, 'leaving the loop early closes the connection');
      await conn.close();
      assert.equal(await Promise.race([serverLoop, sleep(5000, 'still running')]), 'ended');
    } finally {
      await client.close();
      await server.close();
    }
  });

  test(`${name}: after writeNow returned false, writable() resolves and 'drain' fires once the peer reads`, async () => {
    const queue = 128 * 1024;
    const server = makePool(workers, { accept: { incomingMessageQueueSize: queue } });
    const client = makePool(workers, { identity: makeIdentity(1), accept: { outgoingMessageQueueSize: queue } });
    let serverConn: Conn | undefined;
    server.on('connection', (conn) => (serverConn = conn));
    try {
      const { port } = await server.listen();
      const conn = await client.connect({ host: '127.0.0.1', port });
      const message = Buffer.alloc(32 * 1024, 5);
      const queued = await fillUntilRefused(conn, message);
      const drained = once(conn, 'drain', { signal: AbortSignal.timeout(10_000) });
      drained.catch(() => undefined); // awaited below; a failure before must not leave it unhandled
      let writable = false;
      const room = conn.writable({ signal: AbortSignal.timeout(10_000) }).then(() => (writable = true));
      await sleep(50);
      assert.equal(writable, false, 'no room while the peer does not read');
      let read = 0;
      while (read < queued) {
        await serverConn!.read({ signal: AbortSignal.timeout(10_000) });
        read++;
      }
      await Promise.all([room, drained]);
      assert.equal(conn.writeNow(message), true, 'room again');
    } finally {
      await client.close();
      await server.close();
    }
  });

  test(`${name}: close({ wait: true, signal }) and pool.close({ wait: true, signal }) stop waiting for a peer that does not read`, async () => {
    const queue = 128 * 1024;
    const server = makePool(workers, { accept: { incomingMessageQueueSize: queue }, allowDuplicatePeers: true });
    const client = makePool(workers, { identity: makeIdentity(1), accept: { outgoingMessageQueueSize: queue } });
    try {
      const { port } = await server.listen();
      const first = await client.connect({ host: '127.0.0.1', port });
      const message = Buffer.alloc(32 * 1024, 6);
      await fillUntilRefused(first, message);
      const started = Date.now();
      await assert.rejects(first.close({ wait: true, signal: AbortSignal.timeout(200) }), { code: 'TIMEOUT' });
      assert.ok(Date.now() - started < 1500, `rejected after ${Date.now() - started} ms`);
      assert.equal(first.closed, true);
      await first.ended;

      const again = await client.connect({ host: '127.0.0.1', port });
      await fillUntilRefused(again, message);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      await assert.rejects(client.close({ wait: true, signal: controller.signal }), { code: 'ABORTED' });
      assert.equal(again.closed, true);
      await again.ended;
      assert.equal(client.size, 0);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test(`${name}: pool.listen({ signal }) rejects ABORTED if aborted first, and stops listening when aborted later`, async () => {
    const pool = makePool(workers);
    try {
      await assert.rejects(pool.listen({ signal: AbortSignal.abort() }), { code: 'ABORTED' });
      const controller = new AbortController();
      const { port } = await pool.listen({ signal: controller.signal });
      assert.equal(await refused(port), false);
      controller.abort();
      let closed = false;
      for (let i = 0; i < 100 && !closed; i++) closed = await refused(port);
      assert.equal(closed, true, 'the listener closed on abort');
    } finally {
      await pool.close();
    }
  });

  test(`${name}: info.negotiatedVersion is the version the policy selected, on both sides`, async () => {
    const server = makePool(workers, { distributedDbVersions: [0, 1, 2], p2pVersions: [0, 1] });
    const client = makePool(workers, { identity: makeIdentity(1), distributedDbVersions: [0, 1], p2pVersions: [0] });
    let serverConn!: (conn: Conn) => void;
    const accepted = new Promise<Conn>((resolve) => (serverConn = resolve));
    server.on('connection', serverConn);
    try {
      const { port } = await server.listen();
      const conn = await client.connect({ host: '127.0.0.1', port });
      const expected = { chainName: 'SANDBOXED_MAVRYK', distributedDbVersion: 1, p2pVersion: 0 };
      assert.deepEqual(conn.info.negotiatedVersion, expected);
      assert.deepEqual((await accepted).info.negotiatedVersion, expected);
      assert.deepEqual(conn.info.announcedVersion, { chainName: 'SANDBOXED_MAVRYK', distributedDbVersion: 2, p2pVersion: 1 });
    } finally {
      await client.close();
      await server.close();
    }
  });

  test(`${name}: options are checked up front, TypeError or RangeError naming the option`, async () => {
    // A string queue size compared false against every byte count: backpressure silently off.
    assert.throws(() => makePool(workers, { accept: { outgoingMessageQueueSize: '65536' as unknown as number } }), {
      name: 'TypeError',
      message: /options\.accept\.outgoingMessageQueueSize must be an integer, got the string "65536"/,
    });
    assert.throws(() => makePool(workers, { maxConnections: -1 }), { name: 'RangeError', message: /options\.maxConnections/ });
    assert.throws(() => makePool(workers, { handshakeTimeout: 2 ** 31 }), { name: 'RangeError', message: /options\.handshakeTimeout/ });
    assert.throws(() => makePool(workers, { chainName: 7 as unknown as string }), { name: 'TypeError', message: /options\.chainName must be a string/ });
    assert.throws(() => makePool(workers, { identity: {} as never }), { name: 'TypeError', message: /options\.identity\.peerId is required/ });
    assert.throws(() => makePool(workers, { proofOfWorkDifficulty: 300 }), { name: 'RangeError', message: /options\.proofOfWorkDifficulty/ });
    assert.throws(() => makePool(workers, { maxDownloadSpeed: 1024, readBufferSize: 0 }), { name: 'RangeError', message: /options\.readBufferSize/ });
    assert.throws(() => makePool(workers, { maxUploadSpeed: -1 }), { name: 'RangeError', message: /options\.maxUploadSpeed/ });
    const pool = makePool(workers);
    try {
      await assert.rejects(pool.listen({ port: 70000 }), { name: 'RangeError', message: /options\.port/ });
      await assert.rejects(pool.connect({ host: '127.0.0.1', port: 99999 }), { name: 'RangeError', message: /point\.port must be an integer in \[1, 65535\], got 99999/ });
      await assert.rejects(pool.close({ signal: 'soon' as unknown as AbortSignal }), { name: 'TypeError', message: /options\.signal must be an AbortSignal/ });
    } finally {
      await pool.close();
    }
  });
}

test('plain connect and accept: options checked up front; negotiatedVersion is the lower of both versions', async () => {
  const identity = makeIdentity(1);
  await assert.rejects(connect('127.0.0.1', 99999, { ...handshakeOptions(identity) }), { name: 'RangeError', message: /port must be an integer in \[1, 65535\], got 99999/ });
  await assert.rejects(connect('127.0.0.1', 1, { ...handshakeOptions(identity), timeout: '5000' as unknown as number }), { name: 'TypeError', message: /options\.timeout must be a number/ });
  const pair = await connectedPair();
  try {
    // Both sides announced TEST_VERSION (ddb 1, p2p 0).
    assert.deepEqual(pair.client.info.negotiatedVersion, { chainName: 'SANDBOXED_MAVRYK', distributedDbVersion: 1, p2pVersion: 0 });
    assert.deepEqual(pair.server.info.negotiatedVersion, pair.client.info.negotiatedVersion);
  } finally {
    await pair.close();
  }
});
