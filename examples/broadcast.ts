/**
 * Broadcast: a server pool sends one message to every connected peer, with a loop over its
 * connections. Three clients connect, each reads the broadcast, and everything closes.
 *
 * Run from a clone: `npm run example -- examples/broadcast.ts`.
 */
import { Pool, emptyMetadataConfig, generateIdentity, SANDBOXED_MAVRYK, type Connection } from 'p2p-socket';

const DIFFICULTY = 8; // see pool-relay.ts: pools demand 24 unless told otherwise
const newIdentity = async () => (await generateIdentity({ difficulty: DIFFICULTY })).identity;
const common = { chainName: SANDBOXED_MAVRYK, metadata: emptyMetadataConfig, proofOfWorkDifficulty: DIFFICULTY };

const server = new Pool({ ...common, identity: await newIdentity(), workers: 2 });
const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
const clients = await Promise.all([1, 2, 3].map(async () => new Pool({ ...common, identity: await newIdentity(), workers: 0 })));
const received = clients.map(async (client) => {
  const conn = await client.connect({ host: '127.0.0.1', port });
  const { message } = await conn.read({ signal: AbortSignal.timeout(5000) });
  return Buffer.from(message).toString();
});

// #region broadcast
/** Sends `message` to every open connection; returns how many queued it (a full queue drops it). */
function broadcast(connections: Iterable<Connection<Uint8Array, unknown>>, message: Uint8Array): number {
  let queued = 0;
  for (const conn of connections) {
    if (!conn.closed && conn.writeNow(message)) queued++;
  }
  return queued;
}

// Incoming connections, as the pool accepts them (without a 'connection' listener).
const connections: Connection<Uint8Array, unknown>[] = [];
for await (const conn of server.connections()) {
  connections.push(conn);
  if (connections.length === clients.length) break;
}
console.log(`queued for ${broadcast(connections, Buffer.from('to all'))} peers`);
// #endregion broadcast

console.log('received:', await Promise.all(received));
await Promise.all(clients.map((client) => client.close()));
await server.close();
