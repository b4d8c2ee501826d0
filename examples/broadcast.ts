/**
 * Broadcast: a server pool sends one message to every connected peer with `pool.broadcast`.
 * Three clients connect, each reads the broadcast, and everything closes.
 *
 * Run from a clone: `npm run example -- examples/broadcast.ts`.
 */
import { Pool, emptyMetadataConfig, generateIdentity, SANDBOXED_MAVRYK } from 'p2p-socket';

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
// Incoming connections, as the pool accepts them (without a 'connection' listener).
let accepted = 0;
for await (const _connection of server.connections()) {
  if (++accepted === clients.length) break;
}
// Encoded once and, with shards, carried to each shard once; every connection seals its own copy.
// A connection whose outgoing queue is full drops it, as writeNow does.
const { queued, dropped } = server.broadcast(Buffer.from('to all'));
console.log(`queued for ${queued} peers, dropped by ${dropped}`);
// #endregion broadcast

console.log('received:', await Promise.all(received));
await Promise.all(clients.map((client) => client.close()));
await server.close();
