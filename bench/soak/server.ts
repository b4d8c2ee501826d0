/**
 * The soak's server process (bench/soak.ts): an echoing Pool in its own process, so its memory
 * and descriptors are measured apart from the dialling side. IPC in: 'sample', 'close'. Out:
 * { port } once listening, then one sample per 'sample' request, and { closed, fds } after close.
 */
import { Pool } from '../../src/main/pool.ts';
import { generateIdentityFast } from './identity.ts';
import { emptyMetadataConfig } from '../../src/shared/wire/metadata.ts';

const workers = Number(process.argv[2] ?? 2);
const connections = Number(process.argv[3] ?? 10_000);
const server = new Pool<Uint8Array, undefined>({
  identity: generateIdentityFast(),
  chainName: 'SOAK',
  metadata: emptyMetadataConfig,
  proofOfWorkDifficulty: 0,
  workers,
  maxConnections: connections + 100,
  maxIncomingHandshakes: 1000,
  maxIncomingHandshakesPerAddress: 1000, // every dial comes from 127.0.0.1
  handshakeTimeout: 60_000,
  allowDuplicatePeers: true,
});
let echoed = 0;
server.on('connection', (conn) => {
  void (async () => {
    try {
      for (;;) {
        await conn.write((await conn.read()).message);
        echoed++;
      }
    } catch {
      // ended
    }
  })();
});

const fds = (): number => fdKinds()['socket'] ?? 0;
import { fdKinds } from './descriptors.ts';
const { port } = await server.listen();
// The baseline once the shard workers are up (each opens its own event-loop descriptors).
await new Promise((resolve) => setTimeout(resolve, 1000));
process.send!({ port, fds: fds(), kinds: fdKinds() });
process.on('message', (message) => {
  if (message === 'sample') {
    const memory = process.memoryUsage();
    process.send!({ rss: memory.rss, heapUsed: memory.heapUsed, connections: server.size, echoed, fds: fds(), pending: server.stats().pendingMessageBytes });
  } else if (message === 'drained') {
    process.send!({ connections: server.size, echoed, fds: fds(), kinds: fdKinds() });
  } else if (message === 'close') {
    void server.close().then(() => process.send!({ closed: true, fds: fds() }, () => process.exit(0)));
  }
});
