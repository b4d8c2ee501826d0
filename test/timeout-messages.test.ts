/**
 * A timeout says which handshake step waited and what that suggests, the same in both pool modes
 * (the sharded handshake runs in a worker and its error crosses the thread boundary).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';
import { authenticate } from '../src/main/authenticate.ts';
import { connect } from '../src/main/connect.ts';
import { handshakeOptions, makeIdentity } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';

/** A TCP server on 127.0.0.1 that accepts and never says a word (an HTTP server, say). */
async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

const NOT_P2P = /timed out after \d+ ms: no connection message from the peer — is this a P2P port\?/;

test('connect to a port that never speaks: TIMEOUT naming the missing connection message', async () => {
  const silent = await silentServer();
  try {
    await assert.rejects(connect('127.0.0.1', silent.port, { ...handshakeOptions(makeIdentity(1)), timeout: 300 }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'TIMEOUT');
      assert.match(error.message, NOT_P2P);
      return true;
    });
  } finally {
    await silent.close();
  }
});

for (const { name, workers } of MODES) {
  test(`${name}: pool.connect to a port that never speaks: TIMEOUT naming the missing connection message`, async () => {
    const silent = await silentServer();
    const pool = makePool(workers, { connectTimeout: 1000 });
    try {
      // The deadline must be spent on the silent port, not on a shard still starting: under CPU
      // load a worker took longer than the whole 400 ms deadline, and the TIMEOUT had no detail.
      await pool.ready();
      await assert.rejects(pool.connect({ host: '127.0.0.1', port: silent.port }), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'TIMEOUT');
        assert.match(error.message, NOT_P2P);
        return true;
      });
    } finally {
      await pool.close();
      await silent.close();
    }
  });
}

/**
 * An already-aborted signal rejects with ABORTED and leaves nothing behind: the dial or handshake
 * it stops must not reject unobserved (an unhandled rejection ends a Node process by default).
 * `authenticate` left its stopped handshake's rejection unobserved, and so did `connect` once one
 * deadline covered its dial and handshake.
 */
test('connect and authenticate with an already-aborted signal: ABORTED, no unhandled rejection', async () => {
  const silent = await silentServer();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    const isAborted = (error: Error & { code?: string }): boolean => error.code === 'ABORTED';
    await assert.rejects(connect('127.0.0.1', silent.port, { ...handshakeOptions(makeIdentity(1)), signal: AbortSignal.abort() }), isAborted);
    const socket = createConnection({ host: '127.0.0.1', port: silent.port });
    await once(socket, 'connect');
    await assert.rejects(authenticate(socket, { ...handshakeOptions(makeIdentity(1)), incoming: false, signal: AbortSignal.abort() }), isAborted);
    // Long enough for a rejection left unobserved to be reported (they are, after the microtasks).
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await silent.close();
  }
});
