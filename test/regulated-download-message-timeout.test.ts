/**
 * Hostile review of the download regulation and the partial-chunk `messageTimeout`: a peer that
 * sends a whole message at once, into a pool whose download limit makes *us* stop reading in the
 * middle of it (one `readBufferSize` step charged, then a debt of several refills), must not be
 * timed out for that wait: the throttle is ours, not the peer's stall (docs/protocol.md §12.1).
 * Before the fix the connection ended with TIMEOUT after `messageTimeout`, in both modes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Connection } from '../src/main/connection.ts';
import { makeIdentity, rawClient } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';
import { framed, ScriptedPeer } from './support/scripted-peer.ts';

/** 10 KiB/s: one 16 KiB read step leaves ~1.5 s of debt, five times the message timeout. */
const DOWNLOAD = 10 * 1024;
const MESSAGE_TIMEOUT = 300;

for (const { name, workers } of MODES) {
  test(`${name}: a message held back by our download limit is not timed out by messageTimeout`, async () => {
    const pool = makePool(workers, { maxDownloadSpeed: DOWNLOAD, accept: { messageTimeout: MESSAGE_TIMEOUT } });
    try {
      const accepted = once(pool, 'connection') as Promise<[Connection<Uint8Array, undefined>]>;
      const { port } = await pool.listen();
      const socket = await rawClient(port);
      socket.on('error', () => undefined);
      const peer = new ScriptedPeer(socket);
      await peer.establish(makeIdentity(2));
      const [conn] = await accepted;
      const body = randomBytes(20_000);
      peer.sendChunk(framed(body)); // all at once: the peer never stalls
      const received = await conn.read({ signal: AbortSignal.timeout(8000) });
      assert.deepEqual(Buffer.from(received.message), body);
      socket.destroy();
    } finally {
      await pool.close();
    }
  });
}
