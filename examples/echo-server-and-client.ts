/**
 * An echo server and its client in one process, each with its own identity. The server
 * authenticates every socket, refuses peers of another chain, accepts the others and echoes
 * what they send; the client sends three messages, reads the echoes and closes. Then the server
 * stops and the process exits.
 *
 * Run from a clone: `npm run example -- examples/echo-server-and-client.ts`.
 */
// #region server
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { authenticate, connect, generateIdentity, nodeMetadataConfig, MOTIVE, SANDBOXED_MAVRYK, type NetworkVersion } from 'p2p-socket';

// Each side demands this much proof of work from the other. Nodes demand 26 (seconds of hashing
// per identity) and the library's default is 24: 8 keeps the example instant.
const DIFFICULTY = 8;
const version: NetworkVersion = { chainName: SANDBOXED_MAVRYK, distributedDbVersion: 2, p2pVersion: 1 };
const metadata = nodeMetadataConfig({ disableMempool: false, privateNode: false });

const { identity: serverIdentity } = await generateIdentity({ difficulty: DIFFICULTY });
const server = createServer({ pauseOnConnect: true }, async (socket) => {
  try {
    const peer = await authenticate(socket, {
      identity: serverIdentity,
      incoming: true,
      announcedVersion: version,
      metadata,
      proofOfWorkDifficulty: DIFFICULTY,
      timeout: 5000,
    });
    if (peer.info.announcedVersion.chainName !== version.chainName) {
      return await peer.nack(MOTIVE.UNKNOWN_CHAIN_NAME);
    }
    const conn = await peer.accept();
    for await (const { message } of conn) await conn.write(message); // until the peer closes
  } catch (error) {
    // Typed: error.code is 'NOT_ENOUGH_PROOF_OF_WORK', 'TIMEOUT', 'DECIPHER_ERROR', ...
    console.error('server:', error);
  }
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as AddressInfo;
// #endregion server

// #region client
const { identity: clientIdentity } = await generateIdentity({ difficulty: DIFFICULTY });
const peer = await connect('127.0.0.1', port, {
  identity: clientIdentity,
  announcedVersion: version,
  metadata,
  proofOfWorkDifficulty: DIFFICULTY,
  timeout: 5000,
});
console.log(`authenticated ${peer.info.peerId}`);
const conn = await peer.accept();
console.log('negotiated', conn.info.negotiatedVersion);
for (const text of ['hello', 'from', 'the client']) await conn.write(Buffer.from(text));
let echoes = 0;
for await (const { message } of conn) {
  console.log('echo:', Buffer.from(message).toString());
  if (++echoes === 3) break;
}
await conn.close();
server.close(); // stops listening; the process exits once the last socket is gone
// #endregion client
