/**
 * Child process for connection-handler-failures.test.ts: a server whose `'connection'` handler is
 * the README's echo loop, in the mode given as argv[2] (workers), and clients that each write
 * 16 MiB, read nothing and close. Then one more client checks the server still echoes. Prints
 * one JSON line with what it saw; a crash is an exit status other than 0.
 */
import { makeIdentity } from './fixtures.ts';
import { makePool } from './pools.ts';

const workers = Number(process.argv[2]);
const ROUNDS = 3;
const CHUNK = Buffer.alloc(64 * 1024, 7);

const server = makePool(workers);
server.on('connection', async (conn) => {
  for await (const { message } of conn) await conn.write(message);
});
const client = makePool(0, { identity: makeIdentity(1) });
try {
  const { port } = await server.listen();
  for (let round = 0; round < ROUNDS; round++) {
    const conn = await client.connect({ host: '127.0.0.1', port });
    for (let i = 0; i < 256; i++) await conn.write(CHUNK);
    await conn.close({ wait: true });
  }
  const conn = await client.connect({ host: '127.0.0.1', port });
  await conn.write(Buffer.from('still serving'));
  const { message } = await conn.read({ signal: AbortSignal.timeout(10_000) });
  await conn.close();
  process.stdout.write(`${JSON.stringify({ echoed: Buffer.from(message).toString() })}\n`);
} finally {
  await client.close();
  await server.close();
}
