/**
 * `pool.listen()` resolves with a listener handle: its address (`port`/`host` as before, and
 * `address()` as `net.Server` gives it), `close()` that stops new connections and keeps the
 * accepted ones, `'close'`, `await using`, the pool's `'listening'` event, and a `signal` that
 * stops it after it started. In both modes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as dialTcp } from 'node:net';
import type { PoolServer } from '../src/main/pool-server.ts';
import { MODES, echo, makePool } from './support/pools.ts';

/** Whether a TCP connection to 127.0.0.1:port is refused (nothing listens there). */
async function refused(port: number): Promise<boolean> {
  const socket = dialTcp({ host: '127.0.0.1', port });
  try {
    await once(socket, 'connect');
    return false;
  } catch (error) {
    return (error as { code?: string }).code === 'ECONNREFUSED';
  } finally {
    socket.destroy();
  }
}

for (const { name, workers } of MODES) {
  test(`${name}: the handle gives the address, and the pool emits 'listening' with it`, async () => {
    const pool = makePool(workers);
    try {
      const announced: PoolServer[] = [];
      pool.on('listening', (server) => announced.push(server));
      const server = await pool.listen();
      const { port, host } = server;
      assert.ok(port > 0);
      assert.equal(host, '127.0.0.1');
      assert.deepEqual(server.address(), { address: '127.0.0.1', family: 'IPv4', port });
      assert.equal(JSON.stringify(server), JSON.stringify({ host, port }));
      assert.equal(server.listening, true);
      assert.deepEqual(announced, [server]);
    } finally {
      await pool.close();
    }
  });

  test(`${name}: close() stops new connections, keeps the accepted one, emits 'close' once`, async () => {
    const pool = makePool(workers);
    const client = makePool(workers);
    try {
      echo(pool);
      const server = await pool.listen();
      const conn = await client.connect({ host: '127.0.0.1', port: server.port });
      let closes = 0;
      server.on('close', () => closes++);
      await server.close();
      await server.close();
      assert.equal(closes, 1);
      assert.equal(server.listening, false);
      assert.ok(await refused(server.port), 'nothing listens on the port any more');
      await conn.write(Buffer.from('still here'));
      const { message } = await conn.read({ signal: AbortSignal.timeout(15_000) });
      assert.equal(Buffer.from(message).toString(), 'still here', 'the accepted connection still echoes');
    } finally {
      await client.close();
      await pool.close();
    }
  });

  test(`${name}: await using, a signal aborted after listening, and pool.close() each stop a listener`, async () => {
    const pool = makePool(workers);
    try {
      let disposedPort: number;
      {
        await using server = await pool.listen();
        disposedPort = server.port;
      }
      assert.ok(await refused(disposedPort), 'await using stopped it');

      const controller = new AbortController();
      const aborted = await pool.listen({ signal: controller.signal });
      const abortClose = once(aborted, 'close');
      controller.abort();
      await abortClose;
      assert.ok(await refused(aborted.port), 'the signal stopped it');

      const first = await pool.listen();
      const second = await pool.listen();
      await first.close();
      assert.equal(await refused(second.port), false, 'closing one listener leaves the other');
      const poolClose = once(second, 'close');
      await pool.close();
      await poolClose;
      assert.ok(await refused(second.port), 'pool.close() stopped it');
    } finally {
      await pool.close();
    }
  });
}
