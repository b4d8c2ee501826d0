/**
 * A server that parses each message and drops it, reading with `readLent`: the body is lent until
 * the end of its `using` block, then the library takes the memory back for a later message. A
 * client sends 200 messages of 64 KiB, each starting with a number; the server adds the numbers up.
 *
 * Run from a clone: `npm run example -- examples/lent-reads.ts`.
 */
import { Pool, emptyMetadataConfig, generateIdentity, P2pError, SANDBOXED_MAVRYK, type Connection } from 'p2p-socket';

const DIFFICULTY = 8; // proof of work each side demands: low, so the example is instant
const newIdentity = async () => (await generateIdentity({ difficulty: DIFFICULTY })).identity;
const common = { chainName: SANDBOXED_MAVRYK, metadata: emptyMetadataConfig, proofOfWorkDifficulty: DIFFICULTY, workers: 0 };
const server = new Pool({ ...common, identity: await newIdentity() });

// #region lent-reads
async function sumAll(conn: Connection<Uint8Array, unknown>): Promise<[number, number]> {
  let sum = 0;
  let messages = 0;
  try {
    for (;;) {
      using lent = await conn.readLent(); // released at the end of the block
      sum += lent.body.readUInt32BE(0); // parse what you need; copy anything you keep
      messages++;
    }
  } catch (error) {
    if (!(error instanceof P2pError && error.code === 'CONNECTION_CLOSED')) throw error;
  }
  return [messages, sum];
}
// #endregion lent-reads

const summed = Promise.withResolvers<[number, number]>();
server.on('connection', (conn) => void sumAll(conn).then(summed.resolve, summed.reject));
const { port } = await server.listen({ host: '127.0.0.1', port: 0 });

const client = new Pool({ ...common, identity: await newIdentity() });
const conn = await client.connect({ host: '127.0.0.1', port });
const body = Buffer.alloc(64 * 1024);
for (let i = 1; i <= 200; i++) {
  body.writeUInt32BE(i, 0);
  await conn.write(body); // encoded (copied) at once: the buffer can be reused
}
await conn.close({ wait: true });
const [messages, sum] = await summed.promise;
console.log(`server parsed ${messages} lent messages, sum ${sum}`);
await Promise.all([client.close(), server.close()]);
