/**
 * `authenticate` with a signal that is already aborted does not start the handshake: it rejects
 * with ABORTED and closes the socket without writing a byte. It used to send our connection
 * message (public key, proof-of-work stamp, version: 108 bytes) before noticing the abort, and
 * the graceful close flushed it to the peer. Real sockets on 127.0.0.1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { authenticate } from '../src/main/authenticate.ts';
import { closedWithin, handshakeOptions, loopback, makeIdentity, rawClient } from './support/fixtures.ts';

for (const incoming of [false, true]) {
  test(`authenticate (incoming: ${incoming}) with an already-aborted signal: ABORTED, nothing written, socket closed`, async () => {
    const lb = await loopback();
    try {
      const local = await rawClient(lb.port);
      const remote = await lb.accepted();
      remote.resume();
      let received = 0;
      remote.on('data', (data: Buffer) => void (received += data.length));
      remote.on('error', () => undefined);
      const reason = new Error('the caller gave up');
      await assert.rejects(authenticate(local, { ...handshakeOptions(makeIdentity(1)), incoming, signal: AbortSignal.abort(reason) }), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'ABORTED');
        return true;
      });
      await closedWithin(local, 1000);
      // The peer sees the end; anything written before it would have arrived first.
      if (!remote.readableEnded && !remote.destroyed) await Promise.race([once(remote, 'end'), once(remote, 'close')]);
      assert.equal(received, 0, 'bytes the peer received');
    } finally {
      await lb.close();
    }
  });
}
