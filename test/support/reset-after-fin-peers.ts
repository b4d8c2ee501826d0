/**
 * Child script for test/fuzz-peer-reset-exit.test.ts: fuzz peers that end with a reset against a
 * server that closes every connection at once, so the server's FIN and the peer's reset race.
 * Prints how the peers' sockets ended, then lets the process exit on its own: the parent checks
 * that it does.
 */
import { createServer } from 'node:net';
import { once } from 'node:events';
import { makeIdentity, rawClient } from './fixtures.ts';
import { playBehaviour, type Behaviour } from './peer-behaviour.ts';

const PEERS = 20;
const server = createServer((socket) => {
  socket.on('error', () => undefined);
  socket.end();
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const address = server.address();
if (address === null || typeof address === 'string') throw new Error('no port');
const identity = makeIdentity(1);
// readHello fails on the server's FIN, so the reset follows the FIN within the same turn of the
// event loop: while the socket's automatic end (allowHalfOpen off) is still in flight.
const behaviour: Behaviour = { steps: [{ kind: 'readHello' }], cuts: [1], ending: 'reset' };
let closeEvents = 0;
await Promise.all(
  Array.from({ length: PEERS }, async () => {
    const socket = await rawClient(address.port);
    socket.once('close', () => closeEvents++);
    await playBehaviour(socket, identity, behaviour, 1000);
  }),
);
server.close();
// 'close' is emitted on a later tick than the one playBehaviour resolves on.
await new Promise((resolve) => setTimeout(resolve, 100));
console.log(JSON.stringify({ peers: PEERS, closeEvents }));
