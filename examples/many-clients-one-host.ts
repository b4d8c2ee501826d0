/**
 * Many clients from one host: ten client pools on 127.0.0.1 dial one server pool three times
 * each, all at once. The server's admission limits count handshakes by source address, so it
 * raises them (docs/pool.md, Refusals); its 'refused' and 'greylisted' events say what it would
 * otherwise turn away, and why.
 *
 * Run from a clone: `npm run example -- examples/many-clients-one-host.ts`.
 */
import { Pool, emptyMetadataConfig, generateIdentity, SANDBOXED_MAVRYK } from 'p2p-socket';

const DIFFICULTY = 8; // see pool-relay.ts: pools demand 24 unless told otherwise
const newIdentity = async () => (await generateIdentity({ difficulty: DIFFICULTY, threads: 0 })).identity;
const common = { chainName: SANDBOXED_MAVRYK, metadata: emptyMetadataConfig, proofOfWorkDifficulty: DIFFICULTY };
const options = { ...common, identity: await newIdentity(), workers: 2 };

// #region many-clients
const server = new Pool({
  ...options,
  maxIncomingHandshakes: 200, // handshakes in flight, all addresses (default 20)
  maxIncomingHandshakesPerAddress: 200, // one address's share once half are taken (default a quarter)
  maxConnections: 1000, // established connections (default 100)
  allowDuplicatePeers: true, // a client that dials more than once comes with one peer id
});
// #endregion many-clients

// #region refusal-events
server.on('refused', ({ address, port, code, reason, option }) => {
  console.log(`refused ${address}:${port}: ${code}: ${reason}${option ? ` (option ${option})` : ''}`);
});
server.on('greylisted', ({ address, code, until }) => {
  console.log(`greylisted ${address} until ${new Date(until).toISOString()} after ${code} (pool.unban({ address }) lifts it)`);
});
// #endregion refusal-events

const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
// Each client dials the same server three times: its own policy would nack the second
// connection to a peer id it already holds, unless it allows duplicates.
const clients = await Promise.all(Array.from({ length: 10 }, async () => new Pool({ ...common, identity: await newIdentity(), workers: 0, allowDuplicatePeers: true })));
const connections = await Promise.all(clients.flatMap((client) => [1, 2, 3].map(() => client.connect({ host: '127.0.0.1', port }))));
console.log(`${connections.length} connections from 127.0.0.1, refusals: ${JSON.stringify(server.stats().errors)}`);
await Promise.all(clients.map((client) => client.close()));
await server.close();
