/**
 * The answering side of a hand-driven peer, for CLI tests that dial it: it runs the handshake
 * with the version it is told to announce (any chain name, hostile ones included), Acks, and
 * then reads nothing more, so that what the dialler writes piles up.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Identity } from '../../src/shared/identity.ts';
import type { NetworkVersion } from '../../src/shared/wire/network-version.ts';
import { ScriptedPeer } from './scripted-peer.ts';

/** Node metadata (protocol.md §12.4): disable_mempool and private_node, both false. */
const NODE_METADATA = Buffer.from([0, 0]);
/** The Ack message (protocol.md §11.1). */
const ACK = Buffer.from([0]);

export interface ScriptedResponder {
  readonly port: number;
  /** Sockets accepted so far (each left unread once its handshake is done). */
  readonly sockets: readonly Socket[];
  close(): Promise<void>;
}

/** A server on 127.0.0.1, port 0, that handshakes as `identity` announcing `version`, then stops reading. */
export async function silentResponder(identity: Identity, version: NetworkVersion): Promise<ScriptedResponder> {
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    void answer(socket, identity, version).catch(() => socket.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    sockets,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function answer(socket: Socket, identity: Identity, version: NetworkVersion): Promise<void> {
  const peer = new ScriptedPeer(socket);
  peer.sendConnectionMessage(identity, { version });
  await peer.readConnectionMessage(identity, true);
  peer.sendChunk(NODE_METADATA);
  await peer.readChunk();
  peer.sendChunk(ACK);
  await peer.readChunk();
  // From here on nothing is read: the dialler's writes fill the socket buffers and its queue.
  socket.pause();
}
