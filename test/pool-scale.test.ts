/**
 * 2,000 concurrent connections between two pools on loopback, every message accounted for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePool } from './support/pools.ts';

const CONNECTIONS = 2000;
const MESSAGES = 5;

test(`sharded: ${CONNECTIONS} concurrent connections between two pools, every message accounted for`, { timeout: 120_000 }, async () => {
  const options = { maxConnections: CONNECTIONS, maxIncomingHandshakes: 256, maxIncomingHandshakesPerAddress: 256, allowDuplicatePeers: true, handshakeTimeout: 30_000, connectTimeout: 30_000 };
  const server = makePool(2, options);
  const client = makePool(2, options);
  let serverReceived = 0;
  server.on('connection', (conn) => {
    void (async () => {
      try {
        for (;;) {
          const { message } = await conn.read();
          serverReceived++;
          await conn.write(message);
        }
      } catch {
        // ended
      }
    })();
  });
  try {
    const { port } = await server.listen();
    // Dial in waves so the server's in-flight handshake limit is respected.
    const conns = [];
    for (let wave = 0; wave < CONNECTIONS; wave += 200) {
      conns.push(...(await Promise.all(Array.from({ length: Math.min(200, CONNECTIONS - wave) }, () => client.connect({ host: '127.0.0.1', port })))));
    }
    assert.equal(conns.length, CONNECTIONS);
    let echoed = 0;
    await Promise.all(
      conns.map(async (conn, c) => {
        for (let i = 0; i < MESSAGES; i++) {
          const message = Buffer.from(`${c}/${i}`);
          await conn.write(message);
          const { message: back } = await conn.read({ signal: AbortSignal.timeout(60_000) });
          assert.equal(Buffer.from(back).toString(), `${c}/${i}`);
          echoed++;
        }
      }),
    );
    assert.equal(echoed, CONNECTIONS * MESSAGES);
    assert.equal(serverReceived, CONNECTIONS * MESSAGES);
    const stats = server.stats();
    assert.equal(stats.connections, CONNECTIONS);
    assert.equal(stats.shards.reduce((n, s) => n + s.connections, 0), CONNECTIONS);
    assert.ok(stats.shards.every((s) => s.connections > CONNECTIONS / 4), 'both shards carry connections');
    assert.equal(stats.shards.reduce((n, s) => n + s.messagesIn, 0), CONNECTIONS * MESSAGES);
  } finally {
    await client.close();
    await server.close();
  }
});
