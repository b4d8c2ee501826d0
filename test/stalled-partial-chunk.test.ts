/**
 * An established peer that sends part of a chunk and then nothing:
 * before, only a message with at least one whole chunk started `messageTimeout`, so a connection
 * holding a partial chunk (up to 64 KiB) stayed open forever. Now the unfinished message includes
 * the partial chunk: the connection ends with TIMEOUT and its socket closes, in both modes. A peer
 * that is merely idle between messages is left alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from '../src/main/connection.ts';
import { P2pError } from '../src/shared/errors.ts';
import { makeIdentity, settle } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';
import { establishedPeer, framed } from './support/scripted-peer.ts';

const MESSAGE_TIMEOUT = 300;

for (const { name, workers } of MODES) {
  test(`${name}: half a chunk then silence ends the connection with TIMEOUT after messageTimeout and closes the socket`, async () => {
    const pool = makePool(workers, { accept: { messageTimeout: MESSAGE_TIMEOUT } });
    try {
      const accepted = once(pool, 'connection') as Promise<[Connection<Uint8Array, undefined>]>;
      const { port } = await pool.listen();
      const { socket } = await establishedPeer(port, makeIdentity(2));
      const [conn] = await accepted;
      const read = settle(conn.read({ signal: AbortSignal.timeout(5000) }));
      // A chunk header announcing 1,000 bytes of ciphertext, and 10 of them.
      const header = Buffer.alloc(2);
      header.writeUInt16BE(1000);
      socket.write(Buffer.concat([header, Buffer.alloc(10, 7)]));
      const started = Date.now();
      const outcome = await read;
      assert.equal(outcome.ok, false);
      if (!outcome.ok) {
        assert.ok(outcome.error instanceof P2pError, String(outcome.error));
        assert.equal(outcome.error.code, 'TIMEOUT');
        assert.match(outcome.error.message, /unfinished message of 12 bytes/);
      }
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= MESSAGE_TIMEOUT - 50 && elapsed < 5000, `ended after ${elapsed} ms`);
      if (!socket.closed) await Promise.race([once(socket, 'close'), sleep(5000)]);
      assert.ok(socket.closed, 'the server closed the socket');
    } finally {
      await pool.close();
    }
  });

  test(`${name}: a peer idle between whole messages is not timed out by messageTimeout`, async () => {
    const pool = makePool(workers, { accept: { messageTimeout: MESSAGE_TIMEOUT } });
    try {
      const accepted = once(pool, 'connection') as Promise<[Connection<Uint8Array, undefined>]>;
      const { port } = await pool.listen();
      const peer = await establishedPeer(port, makeIdentity(2));
      const socket = peer.socket;
      const [conn] = await accepted;
      peer.sendChunk(framed(Buffer.from('hello')));
      assert.deepEqual(Buffer.from((await conn.read({ signal: AbortSignal.timeout(5000) })).message), Buffer.from('hello'));
      await sleep(MESSAGE_TIMEOUT * 3);
      assert.equal(socket.closed, false);
      peer.sendChunk(framed(Buffer.from('again')));
      assert.deepEqual(Buffer.from((await conn.read({ signal: AbortSignal.timeout(5000) })).message), Buffer.from('again'));
      socket.destroy();
    } finally {
      await pool.close();
    }
  });
}
