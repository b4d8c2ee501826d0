/**
 * Hostile review of the `readBufferSize` download steps: bytes a socket read brought in but the
 * download quota did not cover yet wait in the transport's backlog. A peer that sends several
 * messages and then closes (FIN, or a reset) before that backlog is handed on must not lose them:
 * the reader gets every message sent before the end, then CONNECTION_CLOSED, as without a limit
 * (docs/protocol.md §9.2, §12.1). Before the fix the end dropped the backlog (3 of 5 messages).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Connection } from '../src/main/connection.ts';
import { makeIdentity, rawClient, settle } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';
import { framed, ScriptedPeer } from './support/scripted-peer.ts';

/** 100 KiB of messages against 100 KiB/s in 4 KiB steps: most of it is still backlog when the FIN lands. */
const MESSAGES = 5;
const SIZE = 20_000;

for (const { name, workers } of MODES) {
  test(`${name}: messages still waiting for download quota when the peer closes all reach the reader`, async () => {
      const pool = makePool(workers, { maxDownloadSpeed: 100 * 1024, readBufferSize: 4096 });
      try {
        const accepted = once(pool, 'connection') as Promise<[Connection<Uint8Array, undefined>]>;
        const { port } = await pool.listen();
        const socket = await rawClient(port);
        socket.on('error', () => undefined);
        const peer = new ScriptedPeer(socket);
        await peer.establish(makeIdentity(2));
        const [conn] = await accepted;
        const bodies = Array.from({ length: MESSAGES }, () => randomBytes(SIZE));
        for (const body of bodies) peer.sendChunk(framed(body));
        socket.end();
        const received: Buffer[] = [];
        for (;;) {
          const outcome = await settle(conn.read({ signal: AbortSignal.timeout(10_000) }));
          if (!outcome.ok) {
            assert.equal(outcome.error.code, 'CONNECTION_CLOSED', String(outcome.error));
            break;
          }
          received.push(Buffer.from(outcome.value.message));
        }
        assert.equal(received.length, MESSAGES);
        received.forEach((body, i) => assert.ok(body.equals(bodies[i]!), `message ${i} intact`));
      } finally {
        await pool.close();
      }
  });
}
