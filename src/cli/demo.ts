/**
 * `npm run demo`: a listener and a client in one process over loopback. Both generate an
 * identity at difficulty 8, authenticate each other, agree on a version, accept, exchange a few
 * messages both ways and close, printing each step. Bounded: it gives up after 20 seconds.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { authenticate } from '../main/authenticate.ts';
import type { AuthenticatedConnection } from '../main/authenticated-connection.ts';
import { bytesCodec } from '../main/codecs.ts';
import { connect } from '../main/connect.ts';
import type { Connection } from '../main/connection.ts';
import { generateIdentity } from '../main/generate-identity.ts';
import { nodeMetadataConfig, type NodeMetadata } from '../shared/wire/metadata.ts';
import { SANDBOXED_MAVRYK } from '../shared/wire/network-version.ts';
import { metadataText, versionText } from './connection-report.ts';
import { errorText } from './output.ts';
import { localVersions, negotiate, ourAnnouncement } from './version-policy.ts';

const DIFFICULTY = 8;
const DEADLINE_MS = 20_000;
const TIMEOUT_MS = 5_000;

type Peer = Connection<Uint8Array, NodeMetadata>;

function say(who: string, line: string): void {
  process.stdout.write(`${who.padEnd(8)} ${line}\n`);
}

/** Version policy, then accept (both ends run the same code, as two nodes would). */
async function agree(who: string, peer: AuthenticatedConnection<NodeMetadata>): Promise<Peer> {
  const { info } = peer;
  say(who, `authenticated ${info.peerId} (${info.incoming ? 'incoming' : 'outgoing'})`);
  say(who, `  it announced ${versionText(info.announcedVersion)}, metadata ${metadataText(info.remoteMetadata)}`);
  const negotiation = negotiate(localVersions(SANDBOXED_MAVRYK, 2, 1), info.announcedVersion);
  if (!negotiation.ok) {
    await peer.nack(negotiation.motive);
    throw negotiation.error;
  }
  say(who, `  negotiated ddb ${negotiation.version.distributedDbVersion} p2p ${negotiation.version.p2pVersion}; accepting`);
  return peer.accept({ codec: bytesCodec, timeout: TIMEOUT_MS });
}

/** Sends `lines`, then reads the `expected` messages the peer sends. */
async function talk(who: string, connection: Peer, lines: readonly string[], expected: number): Promise<void> {
  for (const line of lines) {
    await connection.write(Buffer.from(line));
    say(who, `sent     "${line}"`);
  }
  for (let i = 0; i < expected; i++) {
    const { size, message } = await connection.read({ signal: AbortSignal.timeout(TIMEOUT_MS) });
    say(who, `received "${Buffer.from(message).toString()}" (${size} stream bytes)`);
  }
}

async function demo(signal: AbortSignal): Promise<void> {
  say('demo', `generating two identities at difficulty ${DIFFICULTY}…`);
  const [server, client] = await Promise.all([
    generateIdentity({ difficulty: DIFFICULTY, signal }),
    generateIdentity({ difficulty: DIFFICULTY, signal }),
  ]);
  say('listener', `identity ${server.identity.peerId} (${server.attempts} hashes)`);
  say('client', `identity ${client.identity.peerId} (${client.attempts} hashes)`);

  const announced = ourAnnouncement(localVersions(SANDBOXED_MAVRYK, 2, 1));
  const listener = createServer({ pauseOnConnect: true });
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const { port } = listener.address() as AddressInfo;
  say('listener', `listening on 127.0.0.1:${port}, announcing ${versionText(announced)}`);

  // If the client fails before dialling, stop waiting for it at once rather than at the deadline.
  const clientGone = new AbortController();
  const incoming = once(listener, 'connection', { signal: AbortSignal.any([signal, clientGone.signal]) }) as Promise<[Socket]>;
  const serverSide = (async () => {
    const [socket] = await incoming;
    listener.close();
    const peer = await authenticate(socket, {
      identity: server.identity,
      incoming: true,
      announcedVersion: announced,
      metadata: nodeMetadataConfig({ disableMempool: false, privateNode: false }),
      proofOfWorkDifficulty: DIFFICULTY,
      advertisedPort: port,
      timeout: TIMEOUT_MS,
      signal,
    });
    const connection = await agree('listener', peer);
    await talk('listener', connection, ['hello from the listener', 'second message'], 3);
    return connection;
  })();
  const clientSide = (async () => {
    const peer = await connect('127.0.0.1', port, {
      identity: client.identity,
      announcedVersion: announced,
      metadata: nodeMetadataConfig({ disableMempool: true, privateNode: false }),
      proofOfWorkDifficulty: DIFFICULTY,
      timeout: TIMEOUT_MS,
      signal,
    });
    const connection = await agree('client', peer);
    await talk('client', connection, ['hello from the client', 'a second one', 'and a third'], 2);
    return connection;
  })();
  clientSide.catch(() => clientGone.abort());

  // Both ends write first and then read, concurrently, as two independent peers would.
  const results = await Promise.allSettled([serverSide, clientSide]);
  const [serverConnection, clientConnection] = results.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
  listener.close();
  for (const [who, connection] of [['listener', serverConnection], ['client', clientConnection]] as const) {
    if (!connection) continue;
    await connection.close({ wait: true });
    const s = connection.stat();
    say(who, `closed; wire bytes sent ${s.totalSent}, received ${s.totalRecv}`);
  }
  for (const result of results) if (result.status === 'rejected') throw result.reason;
}

const signal = AbortSignal.timeout(DEADLINE_MS);
try {
  await demo(signal);
  say('demo', 'done');
} catch (error) {
  say('demo', `failed: ${errorText(error)}`);
  process.exitCode = 1;
}
