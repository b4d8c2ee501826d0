/**
 * A connection that ends in the middle of a large message (a forged chunk: DECIPHER_ERROR; or the
 * application closes it) gives back the memory of that unfinished message, not only its share of
 * the pending-message budget:
 * the application may hold the failed Connection object for as long as it likes (until its own
 * cleanup), and what the budget no longer counts must not stay allocated. Main's ArrayBuffer
 * bytes are measured after full collections, in both modes (sharded: the shard drops its
 * session, and main holds no body).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../src/main/connection.ts';
import { P2pError } from '../src/shared/errors.ts';
import { MAX_CHUNK_CONTENT } from '../src/shared/session/chunk-layout.ts';
import { closedWithin, makeIdentity } from './support/fixtures.ts';
import { settledThreadMemory } from '../bench/probes/memory-probe.ts';
import { makePool, MODES } from './support/pools.ts';
import { establishedPeer } from './support/scripted-peer.ts';
import { sealedChunks } from './support/sealed-chunks.ts';

const PEERS = 8;
const MESSAGE = 2 << 20;
/** What each peer sends of its message before the forged chunk: half, so the framer holds the whole 2 MiB (4× rule). */
const SENT = 1 << 20;

for (const { name, workers } of MODES) {
  test(`${name}: connections that failed or were closed in the middle of a large message hold none of it, while the application keeps their Connection objects`, async () => {
    const pool = makePool(workers, { accept: { maxMessageSize: 4 << 20 } });
    const connections: Array<Connection<Uint8Array, undefined>> = [];
    pool.on('connection', (conn) => connections.push(conn));
    try {
      const { port } = await pool.listen();
      const before = (await settledThreadMemory(0)).arrayBuffers;
      for (let i = 0; i < PEERS; i++) {
        const peer = await establishedPeer(port, makeIdentity(1));
        const stream = Buffer.alloc(4 + SENT + MAX_CHUNK_CONTENT, i);
        stream.writeUInt32BE(MESSAGE, 0);
        const chunks = sealedChunks(peer.sealer!, stream, [MAX_CHUNK_CONTENT]);
        const forged = i % 2 === 0;
        if (forged) {
          const last = chunks[chunks.length - 1]!;
          last[last.length - 1]! ^= 1; // DECIPHER_ERROR after ~1 MiB of the 2 MiB body
        }
        for (const chunk of chunks) peer.raw(chunk);
        const deadline = Date.now() + 10_000;
        while (connections.length <= i && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
        const conn = connections[i]!;
        if (forged) {
          await assert.rejects(conn.read({ signal: AbortSignal.timeout(10_000) }), (error: unknown) => error instanceof P2pError && error.code === 'DECIPHER_ERROR');
        } else {
          // Closed by the application once the ~1 MiB has arrived (its message still unfinished).
          while (conn.stat().totalRecv < SENT + MAX_CHUNK_CONTENT && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
          await conn.close();
        }
        await closedWithin(peer.socket, 5000);
      }
      const held = (await settledThreadMemory(0)).arrayBuffers - before;
      assert.equal(connections.length, PEERS); // still referenced here
      assert.ok(held < 2 * MESSAGE, `${PEERS} failed connections hold ${held} B of ArrayBuffers (${PEERS} unfinished ${MESSAGE}-byte bodies would be ${PEERS * MESSAGE})`);
    } finally {
      await pool.close();
    }
  });
}
