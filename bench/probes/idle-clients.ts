/**
 * A child process that opens idle connections to a server on 127.0.0.1 and holds them, so the
 * server's memory per connection is measured without the clients' in the same process. Each
 * connection has its own identity (distinct peers, as in bench:load W4), at difficulty 0.
 *
 *   node idle-clients.ts <port> <batch>[,<batch>…] [<concurrency>]
 *
 * Opens the first batch, sends IPC `{ ready: total }`, waits for a `'next'` message before each
 * further batch; exits when the parent disconnects.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect } from '../../src/main/connect.ts';
import { bytesCodec } from '../../src/main/codecs.ts';
import type { Connection } from '../../src/main/connection.ts';
import { generateKeyPair, identityFromKeys } from '../../src/shared/identity.ts';
import { emptyMetadataConfig } from '../../src/shared/wire/metadata.ts';
import { announcedVersion, nodeLocalVersions, SANDBOXED_MAVRYK } from '../../src/shared/wire/network-version.ts';

const [portText, batchesText, concurrencyText] = process.argv.slice(2);
const port = Number(portText);
const batches = (batchesText ?? '').split(',').map(Number);
/** Handshakes in flight (bench:load W4 runs 128). */
const CONCURRENCY = Number(concurrencyText ?? 64);
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
for (const [index, count] of batches.entries()) {
  if (index > 0) await once(process, 'message');
  let opened = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, count) }, async () => {
      while (opened < count) {
        opened++;
        held.push(await open());
      }
    }),
  );
  process.send?.({ ready: held.length });
}
