/**
 * A child process that opens `count` idle connections to a server on 127.0.0.1 and holds them,
 * so the server's memory per connection is measured without the clients' in the same process.
 * Each connection has its own identity (distinct peers, as in bench:load W4), at difficulty 0.
 *
 *   node idle-clients.ts <port> <count>   → IPC {ready: n} once all are open; exits on disconnect.
 */
import { randomBytes } from 'node:crypto';
import { connect } from '../../src/main/connect.ts';
import { bytesCodec } from '../../src/main/codecs.ts';
import type { Connection } from '../../src/main/connection.ts';
import { generateKeyPair, identityFromKeys } from '../../src/shared/identity.ts';
import { emptyMetadataConfig } from '../../src/shared/wire/metadata.ts';
import { announcedVersion, nodeLocalVersions, SANDBOXED_MAVRYK } from '../../src/shared/wire/network-version.ts';

const [portText, countText] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const CONCURRENCY = 64;
const version = announcedVersion(nodeLocalVersions(SANDBOXED_MAVRYK));

process.on('disconnect', () => process.exit(0));
setTimeout(() => process.exit(3), 120_000).unref(); // bounded: never outlives a stuck parent

async function open(): Promise<Connection<Uint8Array, undefined>> {
  const { secretKey } = generateKeyPair();
  const identity = identityFromKeys(secretKey, randomBytes(24));
  const auth = await connect('127.0.0.1', port, { identity, announcedVersion: version, metadata: emptyMetadataConfig, proofOfWorkDifficulty: 0, timeout: 30_000 });
  return auth.accept({ codec: bytesCodec, timeout: 30_000 });
}

const held: Connection<Uint8Array, undefined>[] = [];
let next = 0;
await Promise.all(
  Array.from({ length: Math.min(CONCURRENCY, count) }, async () => {
    while (next < count) {
      next++;
      held.push(await open());
    }
  }),
);
process.send?.({ ready: held.length });
