/**
 * Connection-message nonces (protocol.md §1.1, §5.2) are drawn from libsodium several at a time
 * (nonce.ts): every nonce is its own, across batch refills and across the threads of a sharded
 * pool, and a nonce handed out keeps its bytes while later ones are drawn.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import fc from 'fast-check';
import { randomMessageNonce } from '../src/shared/crypto/nonce.ts';
import { rawClient } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';

/** Where the nonce lies in a connection message with its prefix: length, port, public key, stamp. */
const NONCE_AT = 2 + 2 + 32 + 24;
const NONCE_LENGTH = 24;

test('randomMessageNonce: distinct 24-byte nonces across refills, each keeping its bytes as later ones are drawn', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 300 }), (count) => {
      const drawn = Array.from({ length: count }, () => randomMessageNonce());
      const copies = drawn.map((nonce) => Buffer.from(nonce).toString('hex'));
      for (let i = 0; i < 70; i++) randomMessageNonce(); // past the next refill
      assert.equal(new Set(copies).size, count);
      drawn.forEach((nonce, i) => {
        assert.equal(nonce.length, NONCE_LENGTH);
        assert.equal(nonce.toString('hex'), copies[i], `nonce ${i} changed after later draws`);
      });
    }),
    { numRuns: 20 },
  );
});

/** The nonce of the connection message a listener sends a fresh client first (protocol.md §0). */
async function listenerNonce(port: number): Promise<string> {
  const socket: Socket = await rawClient(port);
  try {
    let received = Buffer.alloc(0);
    const deadline = Date.now() + 5000;
    while (received.length < NONCE_AT + NONCE_LENGTH) {
      assert.ok(Date.now() < deadline, 'no connection message within 5 s');
      const chunk = await new Promise<Buffer>((resolve, reject) => {
        socket.once('data', resolve);
        socket.once('error', reject);
        socket.once('close', () => reject(new Error('closed before the connection message')));
      });
      received = Buffer.concat([received, chunk]);
    }
    return received.toString('hex', NONCE_AT, NONCE_AT + NONCE_LENGTH);
  } finally {
    socket.removeAllListeners();
    socket.on('error', () => undefined);
    socket.destroy();
  }
}

for (const { name, workers } of MODES) {
  test(`${name}: the connection messages of 150 incoming handshakes carry 150 distinct nonces`, async () => {
    // Each client leaves once it has the nonce; on a loaded machine the pool may not have seen those
    // ends when the next five arrive, so the handshakes it holds per address are not the limit here.
    const pool = makePool(workers, { maxIncomingHandshakesPerAddress: 1000 });
    try {
      const { port } = await pool.listen();
      const nonces: string[] = [];
      // Five at a time.
      for (let batch = 0; batch < 30; batch++) {
        nonces.push(...(await Promise.all(Array.from({ length: 5 }, () => listenerNonce(port)))));
      }
      assert.equal(nonces.length, 150);
      assert.equal(new Set(nonces).size, 150);
      assert.ok(!nonces.includes('00'.repeat(NONCE_LENGTH)));
    } finally {
      await pool.close();
    }
  });
}
