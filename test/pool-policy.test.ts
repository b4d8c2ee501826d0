/**
 * The pool's accept policy (protocol.md §11.2, §11.4): each Nack motive and each refusal reaches the
 * remote side as the spec says, in both modes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../src/main/connect.ts';
import { MOTIVE } from '../src/shared/wire/rejection.ts';
import { handshakeOptions, makeIdentity, settle } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';

const version = (distributedDbVersion: number, p2pVersion: number, chainName = 'SANDBOXED_MAVRYK') => ({ chainName, distributedDbVersion, p2pVersion });

/** A library-level client (no policy of its own) that accepts whatever the pool answers. */
async function rawAttempt(port: number, announced = version(2, 1), identity = makeIdentity(1)) {
  return settle(connect('127.0.0.1', port, { ...handshakeOptions(identity, announced) }).then((auth) => auth.accept()));
}

function nackOf(outcome: Awaited<ReturnType<typeof rawAttempt>>): { motive: number; alternativePoints: string[] | undefined } {
  assert.equal(outcome.ok, false);
  assert.equal(!outcome.ok && outcome.error.code, 'REJECTED_BY_NACK', !outcome.ok ? outcome.error.message : '');
  return outcome.ok ? assert.fail() : (outcome.error as unknown as { motive: number; alternativePoints: string[] | undefined });
}

for (const { name, workers } of MODES) {
  test(`${name}: version and chain refusals arrive as Nack motives 2, 3 and 4`, async () => {
    const server = makePool(workers, { distributedDbVersions: [2], p2pVersions: [1, 2] });
    try {
      const { port } = await server.listen();
      assert.equal(nackOf(await rawAttempt(port, version(2, 1, 'OTHER_CHAIN'))).motive, MOTIVE.UNKNOWN_CHAIN_NAME);
      assert.equal(nackOf(await rawAttempt(port, version(1, 1))).motive, MOTIVE.DEPRECATED_DISTRIBUTED_DB_VERSION);
      const server2 = makePool(workers, { p2pVersions: [2] });
      try {
        const { port: port2 } = await server2.listen();
        assert.equal(nackOf(await rawAttempt(port2, version(2, 1))).motive, MOTIVE.DEPRECATED_P2P_VERSION);
        // A p2p-0 peer cannot receive a motive: it gets Nack_v_0 (protocol.md §8.5).
        const v0 = nackOf(await rawAttempt(port2, version(2, 0)));
        assert.equal(v0.motive, 0);
        assert.equal(v0.alternativePoints, undefined);
      } finally {
        await server2.close();
      }
      // Compatible versions are accepted: a remote announcing (ddb 3, p2p 7) is served.
      const ok = await rawAttempt(port, version(3, 7));
      assert.equal(ok.ok, true);
    } finally {
      await server.close();
    }
  });

  test(`${name}: TOO_MANY_CONNECTIONS carries alternative points; ALREADY_CONNECTED for the same peer`, async () => {
    const server = makePool(workers, { maxConnections: 1 });
    const first = makePool(workers);
    try {
      const { port } = await server.listen();
      await first.listen(); // so its point is known with a port, and offered to others
      const conn = await first.connect({ host: '127.0.0.1', port });
      assert.ok(conn);
      const refused = nackOf(await rawAttempt(port));
      assert.equal(refused.motive, MOTIVE.TOO_MANY_CONNECTIONS);
      assert.equal(refused.alternativePoints?.length, 1);
      assert.match(refused.alternativePoints?.[0] ?? '', /^127\.0\.0\.1:\d+$/);
    } finally {
      await first.close();
      await server.close();
    }
    const server2 = makePool(workers);
    try {
      const { port } = await server2.listen();
      const identity = makeIdentity(1);
      const one = await rawAttempt(port, version(2, 1), identity);
      assert.equal(one.ok, true);
      assert.equal(nackOf(await rawAttempt(port, version(2, 1), identity)).motive, MOTIVE.ALREADY_CONNECTED);
    } finally {
      await server2.close();
    }
  });

  test(`${name}: banned addresses are closed before the handshake, banned peers and private mode without a Nack`, async () => {
    const server = makePool(workers);
    try {
      const { port } = await server.listen();
      server.ban({ address: '127.0.0.1' });
      const byAddress = await rawAttempt(port);
      assert.equal(!byAddress.ok && byAddress.error.code, 'CONNECTION_CLOSED');
      server.bannedAddresses.unban('127.0.0.1');
      const identity = makeIdentity(1);
      server.ban({ peerId: identity.peerId });
      const byPeer = await rawAttempt(port, version(2, 1), identity);
      assert.equal(!byPeer.ok && byPeer.error.code, 'REJECTED_SOCKET_CONNECTION');
      assert.equal(server.stats().errors['PEER_BANNED'], 1);
    } finally {
      await server.close();
    }
    const trusted = makeIdentity(1);
    const privateServer = makePool(workers, { privateMode: true, trustedPeers: [trusted.peerId] });
    try {
      const { port } = await privateServer.listen();
      const stranger = await rawAttempt(port);
      assert.equal(!stranger.ok && stranger.error.code, 'REJECTED_SOCKET_CONNECTION');
      assert.equal((await rawAttempt(port, version(2, 1), trusted)).ok, true);
    } finally {
      await privateServer.close();
    }
  });

  test(`${name}: a user hook can nack after the default policy accepted; pool.connect reports what it sent`, async () => {
    const server = makePool(workers, { policy: (info) => (info.announcedVersion.p2pVersion >= 1 ? { action: 'nack', motive: 42 } : undefined) });
    const client = makePool(workers, { chainName: 'OTHER_CHAIN' });
    try {
      const { port } = await server.listen();
      const hooked = nackOf(await rawAttempt(port));
      assert.equal(hooked.motive, 42);
      // The client pool runs its own policy: a chain mismatch is nacked from its side too.
      const mismatch = await settle(client.connect({ host: '127.0.0.1', port }));
      assert.equal(!mismatch.ok && mismatch.error.code, 'REJECTED_NO_COMMON_PROTOCOL');
    } finally {
      await client.close();
      await server.close();
    }
  });
}
