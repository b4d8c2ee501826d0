/**
 * `accept` with a signal that is already aborted refuses before the Ack: it rejects with ABORTED
 * and closes the socket, and the peer never sees an Ack (its own accept fails with
 * REJECTED_SOCKET_CONNECTION, protocol.md §10.1). It used to write our Ack first; the close that
 * followed flushed it, so the peer's accept succeeded on a connection we had given up.
 * Real sockets on 127.0.0.1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authenticate } from '../src/main/authenticate.ts';
import { connect } from '../src/main/connect.ts';
import { handshakeOptions, loopback, makeIdentity, settle } from './support/fixtures.ts';

test('accept with an already-aborted signal: ABORTED, and the peer gets no Ack (REJECTED_SOCKET_CONNECTION)', async () => {
  const lb = await loopback();
  try {
    const [server, client] = await Promise.all([
      lb.accepted().then((socket) => authenticate(socket, { ...handshakeOptions(makeIdentity(1)), incoming: true })),
      connect('127.0.0.1', lb.port, handshakeOptions(makeIdentity(1))),
    ]);
    const [ours, theirs] = await Promise.all([
      settle(server.accept({ signal: AbortSignal.abort(new Error('the caller gave up')) })),
      settle(client.accept({ timeout: 3000 })),
    ]);
    if (theirs.ok) await theirs.value.close();
    if (ours.ok) await ours.value.close();
    assert.equal(ours.ok ? 'accepted' : ours.error.code, 'ABORTED');
    assert.equal(theirs.ok ? 'accepted (it received our Ack)' : theirs.error.code, 'REJECTED_SOCKET_CONNECTION');
  } finally {
    await lb.close();
  }
});
