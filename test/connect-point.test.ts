/**
 * `connect` takes the peer's address as `pool.connect` does, `connect({ host, port }, options)`,
 * as well as `connect(host, port, options)`; a point without a port is a typed argument error,
 * before any dial.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../src/main/connect.ts';
import { handshakeOptions, makeIdentity } from './support/fixtures.ts';
import { makePool } from './support/pools.ts';

test('connect({ host, port }, options) and connect(host, port, options) both reach a pool', async () => {
  const server = makePool(0);
  try {
    const { port } = await server.listen();
    for (const dial of [
      () => connect({ host: '127.0.0.1', port }, handshakeOptions(makeIdentity())),
      () => connect('127.0.0.1', port, handshakeOptions(makeIdentity())),
    ]) {
      const auth = await dial();
      assert.equal(auth.info.peerId, server.identity.peerId);
      const conn = await auth.accept();
      await conn.close();
    }
  } finally {
    await server.close();
  }
});

test('connect({ host }, options) without a port is a TypeError naming point.port', async () => {
  await assert.rejects(
    // @ts-expect-error a point needs its port
    connect({ host: '127.0.0.1' }, handshakeOptions(makeIdentity())),
    (error: Error) => error instanceof TypeError && /point\.port/.test(error.message),
  );
});
