/**
 * A transport's graceful close (transport.ts `close`) arms a CLOSE_GRACE_MS timer that destroys
 * a socket whose peer never closes, and clears it on the socket's 'close' through the listener the
 * transport has anyway: once the close has resolved no timer of it is left, however the close
 * went (the peer answering the FIN, a peer gone first, a reset cutting the close short, a
 * socket destroyed before it), so nothing keeps a process alive after its connections closed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { HANDSHAKE_INPUT_LIMIT, SessionTransport } from '../src/shared/session/transport.ts';
import { closedWithin, loopback, rawClient } from './support/fixtures.ts';

function timers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
}

const CASES: ReadonlyArray<{ name: string; run: (transport: SessionTransport, peer: Socket) => Promise<void> }> = [
  {
    name: 'the peer answers the FIN',
    run: async (transport, peer) => {
      peer.on('end', () => peer.end());
      await transport.close();
    },
  },
  {
    name: 'the peer ended first',
    run: async (transport, peer) => {
      peer.end();
      await once(transport.socket, 'end');
      await transport.close();
    },
  },
  {
    name: 'a reset cuts the close short while the peer stays silent',
    run: async (transport) => {
      const closing = transport.close();
      await transport.reset();
      await closing;
    },
  },
  {
    name: 'the socket was destroyed before the close',
    run: async (transport) => {
      transport.socket.destroy();
      await once(transport.socket, 'close');
      await transport.close();
    },
  },
];

for (const { name, run } of CASES) {
  test(`graceful close, ${name}: resolved with its grace timer cleared and the peer's socket closed`, async () => {
    const lb = await loopback();
    try {
      const peer = await rawClient(lb.port);
      peer.on('error', () => undefined);
      peer.on('data', () => undefined);
      const transport = new SessionTransport(await lb.accepted(), HANDSHAKE_INPUT_LIMIT);
      const before = timers();
      await run(transport, peer);
      assert.equal(timers(), before, 'a timer of the close outlived it');
      assert.ok(transport.socketClosed);
      await closedWithin(peer, 3000);
    } finally {
      await lb.close();
    }
  });
}
