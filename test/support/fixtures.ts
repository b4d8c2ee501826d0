/**
 * Shared test fixtures: spec vectors, small identities, loopback sockets.
 */
import { readFileSync } from 'node:fs';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { makePowTarget, searchProofOfWork, stampDifficulty } from '../../src/shared/crypto/pow.ts';
import { generateKeyPair, identityFromKeys, type Identity } from '../../src/shared/identity.ts';
import { emptyMetadataConfig } from '../../src/shared/wire/metadata.ts';
import type { NetworkVersion } from '../../src/shared/wire/network-version.ts';

export const vectors = JSON.parse(readFileSync(new URL('../vectors/handshake.json', import.meta.url), 'utf8'));

export const hex = (text: string): Buffer => Buffer.from(text, 'hex');

/** The identities of the spec's worked example (protocol.md §1.3), both meeting difficulty 26. */
export function vectorIdentity(name: 'A' | 'B'): Identity {
  const v = vectors.identities[name];
  return identityFromKeys(hex(v.secret_key), hex(v.proof_of_work_stamp));
}

/** A fresh identity at `difficulty` (the OCaml test utilities use 1). */
export function makeIdentity(difficulty = 1): Identity {
  const target = makePowTarget(difficulty);
  for (let round = 0; round < 100; round++) {
    const { publicKey, secretKey } = generateKeyPair();
    const { stamp } = searchProofOfWork(publicKey, target, { maxAttempts: 1 << 16 });
    if (stamp) return identityFromKeys(secretKey, stamp);
  }
  throw new Error('no identity found');
}

/** An identity whose proof of work is below `difficulty`: what a peer the pool greylists presents (bounded search). */
export function weakIdentity(difficulty: number): Identity {
  for (let i = 0; i < 20; i++) {
    const { publicKey, secretKey } = generateKeyPair();
    const identity = identityFromKeys(secretKey, Buffer.alloc(24));
    if (stampDifficulty(publicKey, identity.proofOfWorkStamp) < difficulty) return identity;
  }
  throw new Error('no weak identity found');
}

/** The OCaml test utilities' version: SANDBOXED_MAVRYK / ddb 1 / p2p 0, so Nack_v_0 (protocol.md §13). */
export const TEST_VERSION: NetworkVersion = { chainName: 'SANDBOXED_MAVRYK', distributedDbVersion: 1, p2pVersion: 0 };
export const NODE_VERSION: NetworkVersion = { chainName: 'SANDBOXED_MAVRYK', distributedDbVersion: 2, p2pVersion: 1 };

export function handshakeOptions(identity: Identity, version: NetworkVersion = TEST_VERSION) {
  return { identity, announcedVersion: version, metadata: emptyMetadataConfig, proofOfWorkDifficulty: 1, timeout: 5000 };
}

export interface Loopback {
  readonly server: Server;
  readonly port: number;
  /** Resolves with the next accepted socket. */
  accepted(): Promise<Socket>;
  close(): Promise<void>;
}

/** A TCP server on 127.0.0.1, port 0. */
export async function loopback(): Promise<Loopback> {
  const server = createServer({ pauseOnConnect: true });
  const queue: Socket[] = [];
  const waiters: Array<(socket: Socket) => void> = [];
  const open = new Set<Socket>();
  server.on('connection', (socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    const waiter = waiters.shift();
    if (waiter) waiter(socket);
    else queue.push(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    server,
    port: address.port,
    accepted: () => {
      const ready = queue.shift();
      return ready ? Promise.resolve(ready) : new Promise<Socket>((resolve) => waiters.push(resolve));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of open) socket.destroy();
      }),
  };
}

/** A raw client socket to the loopback server, connected. */
export async function rawClient(port: number): Promise<Socket> {
  const socket = netConnect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  return socket;
}

/** Settles `promise` into `{ ok, value | error }` so both sides of a scenario can be awaited. */
export async function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: { code?: string } & Error }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error: error as { code?: string } & Error };
  }
}

/** Two accepted connections over loopback: `client` dialled `server`. */
export async function connectedPair<Msg = Uint8Array>(
  accept: { client?: import('../../src/main/authenticated-connection.ts').AcceptOptions<Msg>; server?: import('../../src/main/authenticated-connection.ts').AcceptOptions<Msg> } = {},
) {
  const { authenticate } = await import('../../src/main/authenticate.ts');
  const { connect } = await import('../../src/main/connect.ts');
  const lb = await loopback();
  const serverId = makeIdentity(1);
  const clientId = makeIdentity(1);
  const [serverAuth, clientAuth] = await Promise.all([
    lb.accepted().then((socket) => authenticate(socket, { ...handshakeOptions(serverId), incoming: true })),
    connect('127.0.0.1', lb.port, handshakeOptions(clientId)),
  ]);
  const [server, client] = await Promise.all([serverAuth.accept<Msg>(accept.server), clientAuth.accept<Msg>(accept.client)]);
  return {
    server,
    client,
    close: async () => {
      await Promise.all([server.close(), client.close()]);
      await lb.close();
    },
  };
}

/**
 * A raw client socket from another loopback source address (Linux answers for all of 127/8), so a
 * test can play an attacker and an honest peer that the server tells apart by address. Traffic
 * stays on loopback: the server listens on 127.0.0.1.
 */
export async function rawClientFrom(localAddress: string, port: number): Promise<Socket> {
  const socket = netConnect({ host: '127.0.0.1', port, localAddress });
  await once(socket, 'connect');
  return socket;
}

/** Resolves once `socket` is closed; rejects after `ms`. */
export async function closedWithin(socket: Socket, ms: number): Promise<void> {
  if (socket.closed) return;
  await Promise.race([
    // Not events.once: it rejects on 'error', and a reset before the close is an allowed ending.
    new Promise((resolve) => socket.once('close', resolve)),
    new Promise((_, reject) => setTimeout(() => reject(new Error(`socket not closed within ${ms} ms`)), ms).unref()),
  ]);
}

/**
 * Records what reaches the process as an uncaught exception or unhandled rejection while `run`
 * runs: a hostile peer must never put anything there (an application without an 'error'
 * listener would exit).
 */
export async function escapedErrors(run: () => Promise<void>): Promise<unknown[]> {
  const escaped: unknown[] = [];
  const record = (error: unknown): void => void escaped.push(error);
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
  try {
    await run();
    // Let rejections scheduled by the last events surface.
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    process.off('uncaughtException', record);
    process.off('unhandledRejection', record);
  }
  return escaped;
}
