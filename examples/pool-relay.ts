/**
 * A relay on a Pool: whatever a peer sends is forwarded to every other connected peer. Alice and
 * Bob connect with pools of their own; Alice speaks, Bob hears; then everything closes.
 *
 * Run from a clone: `npm run example -- examples/pool-relay.ts`.
 */
// #region relay
import { Pool, emptyMetadataConfig, generateIdentity, SANDBOXED_MAVRYK, type Connection } from 'p2p-socket';

// A Pool demands proof of work 24 from its peers unless told otherwise (the node's default
// target): identities made at a lower difficulty fail with NOT_ENOUGH_PROOF_OF_WORK. These are
// made at 8, so every pool here demands 8.
const DIFFICULTY = 8;
const newIdentity = async () => (await generateIdentity({ difficulty: DIFFICULTY })).identity;
const common = { chainName: SANDBOXED_MAVRYK, metadata: emptyMetadataConfig, proofOfWorkDifficulty: DIFFICULTY };

const relay = new Pool({ ...common, identity: await newIdentity(), workers: 2 });
relay.on('error', (error) => console.error('relay:', error)); // a shard given up, a server error: never a peer's fault
const peers = new Set<Connection<Uint8Array, unknown>>();
relay.on('connection', async (conn) => {
  peers.add(conn);
  try {
    await conn.write(Buffer.from('welcome'));
    for await (const { message } of conn) {
      for (const other of peers) {
        // A peer whose queue is full misses the message rather than slowing everyone down.
        if (other !== conn && !other.closed) other.writeNow(message);
      }
    }
  } catch (error) {
    console.error(`relay: ${conn} failed:`, error);
  } finally {
    peers.delete(conn);
  }
});
const { port } = await relay.listen({ host: '127.0.0.1', port: 0 });
// #endregion relay

// #region peers
const alice = new Pool({ ...common, identity: await newIdentity(), workers: 0 });
const bob = new Pool({ ...common, identity: await newIdentity(), workers: 0 });
const aliceConn = await alice.connect({ host: '127.0.0.1', port });
const bobConn = await bob.connect({ host: '127.0.0.1', port });
// The welcome says the relay has registered each of them.
await aliceConn.read();
await bobConn.read();
await aliceConn.write(Buffer.from('hi Bob'));
const { message } = await bobConn.read({ signal: AbortSignal.timeout(5000) });
console.log('Bob got:', Buffer.from(message).toString());
await Promise.all([alice.close(), bob.close()]);
await relay.close();
// #endregion peers
