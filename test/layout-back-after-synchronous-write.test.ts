/**
 * A pooled layout the kernel takes during the socket write (libuv's synchronous write, nothing
 * left in the socket's buffer) goes back to the layout pool as the write returns, not at the write
 * callback a tick later; one the socket still holds (corked behind an earlier write of the same
 * turn) stays out of the pool until its callback, and every byte arrives as written. Over a real
 * loopback socket.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { layoutPool } from '../src/shared/session/layout-pool.ts';
import { SessionTransport } from '../src/shared/session/transport.ts';

const SIZE = 16_384;

/** A connected loopback pair: `local` wrapped by the test, `remote` collecting what arrives. */
async function loopbackPair(): Promise<{ local: Socket; received: () => Buffer; close: () => Promise<void> }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const local = connect(address.port, '127.0.0.1');
  await once(local, 'connect');
  const [remote] = await accepted;
  const chunks: Buffer[] = [];
  remote.on('data', (data: Buffer) => chunks.push(data));
  return {
    local,
    received: () => Buffer.concat(chunks),
    close: async () => {
      local.destroy();
      remote.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** A layout from the pool, filled with `bytes`. */
function pooledLayout(bytes: Buffer): Buffer {
  const layout = layoutPool.take(bytes.length);
  bytes.copy(layout);
  return layout;
}

test('a pooled layout the kernel took during the write is back in the pool when write returns; a corked one only after its callback', async () => {
  const pair = await loopbackPair();
  try {
    const transport = new SessionTransport(pair.local, 1 << 20);
    // A new turn, so the first write below goes straight to the socket (not corked).
    await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
    const first = randomBytes(SIZE);
    const second = randomBytes(SIZE);
    const firstLayout = pooledLayout(first);
    transport.write(firstLayout, true);
    assert.equal(pair.local.writableLength, 0, 'loopback took the 16 KiB at once');
    const again = layoutPool.take(SIZE);
    assert.ok(again === firstLayout, 'the written layout is the next one the pool hands out');
    // Same turn: this write is corked and waits in the socket, so its layout must stay out.
    again.set(second);
    transport.write(again, true);
    assert.ok(pair.local.writableLength > 0, 'the second write of the turn is corked');
    const other = layoutPool.take(SIZE);
    assert.ok(other !== again, 'a layout the socket still holds is not handed out');
    other.fill(0); // would corrupt `second` on the wire if it were the same memory
    const deadline = Date.now() + 5_000;
    while (pair.received().length < 2 * SIZE && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(pair.received().equals(Buffer.concat([first, second])), 'both layouts arrived as written');
  } finally {
    await pair.close();
  }
});
