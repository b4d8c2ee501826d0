/**
 * Refusals are reported on both sides (protocol.md §11.4, docs/pool.md "Refusals"): the pool that
 * refuses emits `'refused'` with the reason and the option that governs it, and `'greylisted'`
 * when it greylists an address; the dialler's error says what it saw (closed before any
 * handshake byte, with the system error kept as `cause`) and which side refused. Both pool modes,
 * 127.0.0.1 only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '../src/main/connect.ts';
import type { Greylisting, Refusal } from '../src/main/refusal.ts';
import { ConnectionClosedError } from '../src/shared/errors.ts';
import { MOTIVE } from '../src/shared/wire/rejection.ts';
import { handshakeOptions, makeIdentity, rawClient, rawClientFrom, settle, weakIdentity } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';

const NODE = { chainName: 'SANDBOXED_MAVRYK', distributedDbVersion: 2, p2pVersion: 1 };

/** Waits (bounded) until `check` holds. */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await sleep(10);
  assert.ok(check(), `timed out waiting for ${what}`);
}

function closedBeforeHandshake(outcome: Awaited<ReturnType<typeof settle>>): ConnectionClosedError {
  assert.equal(outcome.ok, false);
  const error = !outcome.ok ? outcome.error : assert.fail();
  assert.ok(error instanceof ConnectionClosedError, `${error.code}: ${error.message}`);
  assert.equal(error.beforeHandshake, true, error.message);
  assert.match(error.message, /before sending any byte of its handshake/);
  assert.match(error.message, /refused us before authentication/);
  return error;
}


for (const { name, workers } of MODES) {
  test(`${name}: admission refusals are emitted with reason and option; the dialler's error says it was refused before authentication`, async () => {
    const server = makePool(workers, { maxIncomingHandshakes: 4, maxIncomingHandshakesPerAddress: 1, handshakeTimeout: 20_000 });
    const client = makePool(workers, { identity: makeIdentity(1) });
    const refusals: Refusal[] = [];
    server.on('refused', (refusal) => refusals.push(refusal));
    const idle: Socket[] = [];
    try {
      const { port } = await server.listen();
      // Two handshakes in flight from 127.0.0.1 that never send a byte: half the slots are taken.
      for (let i = 0; i < 2; i++) idle.push(await rawClient(port));
      await until(() => server.stats().handshakesInFlight === 2, 'two handshakes in flight');

      const perAddress = closedBeforeHandshake(await settle(client.connect({ host: '127.0.0.1', port })));
      assert.match(perAddress.message, /maxIncomingHandshakesPerAddress/);
      assert.match(perAddress.message, /greylist/);
      await until(() => refusals.length === 1, "the 'refused' event");
      const first = refusals[0]!;
      assert.equal(first.code, 'TOO_MANY_HANDSHAKES_FROM_ADDRESS');
      assert.equal(first.option, 'maxIncomingHandshakesPerAddress');
      assert.equal(first.address, '127.0.0.1');
      assert.equal(first.direction, 'incoming');
      assert.equal(first.peerId, undefined);
      assert.equal(typeof first.port, 'number');
      assert.match(first.reason, /2 incoming handshakes in flight from 127\.0\.0\.1/);

      // Two more from other loopback addresses fill every slot.
      idle.push(await rawClientFrom('127.0.0.2', port), await rawClientFrom('127.0.0.3', port));
      await until(() => server.stats().handshakesInFlight === 4, 'four handshakes in flight');
      closedBeforeHandshake(await settle(client.connect({ host: '127.0.0.1', port })));
      await until(() => refusals.length === 2, "the second 'refused' event");
      assert.equal(refusals[1]!.code, 'TOO_MANY_HANDSHAKES');
      assert.equal(refusals[1]!.option, 'maxIncomingHandshakes');
      assert.match(refusals[1]!.reason, /4 incoming handshakes in flight, maxIncomingHandshakes is 4/);
      assert.equal(server.stats().errors['TOO_MANY_HANDSHAKES_FROM_ADDRESS'], 1);
      assert.equal(server.stats().errors['TOO_MANY_HANDSHAKES'], 1);
    } finally {
      for (const socket of idle) socket.destroy();
      await client.close();
      await server.close();
    }
  });

  test(`${name}: a reset before the handshake and a refused dial keep their system error as cause`, async () => {
    const client = makePool(workers, { identity: makeIdentity(1) });
    const resetter = createServer((socket) => socket.resetAndDestroy());
    try {
      resetter.listen(0, '127.0.0.1');
      await once(resetter, 'listening');
      const resetPort = (resetter.address() as AddressInfo).port;
      const reset = closedBeforeHandshake(await settle(client.connect({ host: '127.0.0.1', port: resetPort })));
      assert.match(reset.systemCode ?? '', /^(ECONNRESET|EPIPE)$/, reset.message);
      assert.equal((reset.cause as { code?: string } | undefined)?.code, reset.systemCode);
      assert.match(reset.message, new RegExp(`socket error ${reset.systemCode}`));

      resetter.close();
      await once(resetter, 'close');
      // Nothing listens on that port any more: the dial itself is refused.
      const refused = await settle(client.connect({ host: '127.0.0.1', port: resetPort }));
      assert.equal(!refused.ok && refused.error.code, 'CONNECTION_CLOSED');
      const error = !refused.ok ? (refused.error as ConnectionClosedError) : assert.fail();
      assert.equal(error.systemCode, 'ECONNREFUSED');
      assert.equal((error.cause as { code?: string } | undefined)?.code, 'ECONNREFUSED');
      assert.equal(error.beforeHandshake, false);
    } finally {
      resetter.close();
      await client.close();
    }
  });

  test(`${name}: ALREADY_CONNECTED says which side refused and why; both pools emit 'refused'`, async () => {
    const server = makePool(workers, { identity: makeIdentity(1) });
    const serverRefusals: Refusal[] = [];
    server.on('refused', (refusal) => serverRefusals.push(refusal));
    const duplicatesAllowed = makePool(workers, { identity: makeIdentity(1), allowDuplicatePeers: true });
    const client = makePool(workers, { identity: makeIdentity(1) });
    const clientRefusals: Refusal[] = [];
    client.on('refused', (refusal) => clientRefusals.push(refusal));
    try {
      // The peer refuses: a plain dialler (no policy of its own) comes twice with one identity.
      const { port } = await server.listen();
      const identity = makeIdentity(1);
      const first = await connect('127.0.0.1', port, handshakeOptions(identity, NODE)).then((auth) => auth.accept());
      const second = await settle(connect('127.0.0.1', port, handshakeOptions(identity, NODE)).then((auth) => auth.accept()));
      assert.equal(!second.ok && second.error.code, 'REJECTED_BY_NACK');
      assert.match(!second.ok ? second.error.message : '', /the peer refused the connection, motive Already_connected \(5\): it already has a connection with our peer id .*allowDuplicatePeers/);
      await until(() => serverRefusals.length === 1, "the server's 'refused' event");
      const refusal = serverRefusals[0]!;
      assert.equal(refusal.code, 'ALREADY_CONNECTED');
      assert.equal(refusal.motive, MOTIVE.ALREADY_CONNECTED);
      assert.equal(refusal.option, 'allowDuplicatePeers');
      assert.equal(refusal.peerId, identity.peerId);
      assert.equal(refusal.direction, 'incoming');
      await first.close();

      // We refuse: our pool dials a peer it already has a connection with.
      const { port: port2 } = await duplicatesAllowed.listen();
      await client.connect({ host: '127.0.0.1', port: port2 });
      const ours = await settle(client.connect({ host: '127.0.0.1', port: port2 }));
      assert.equal(!ours.ok && ours.error.code, 'ALREADY_CONNECTED');
      assert.match(!ours.ok ? ours.error.message : '', /^we nacked peer \S+ \(Already_connected\): this pool already has a connection with peer .*allowDuplicatePeers: true/);
      assert.equal(clientRefusals.length, 1);
      assert.equal(clientRefusals[0]!.direction, 'outgoing');
      assert.equal(clientRefusals[0]!.code, 'ALREADY_CONNECTED');
      assert.equal(clientRefusals[0]!.port, port2);
    } finally {
      await client.close();
      await duplicatesAllowed.close();
      await server.close();
    }
  });

  test(`${name}: too little proof of work greylists the address: 'greylisted', then 'refused' with until, until unban`, async () => {
    const DIFFICULTY = 8;
    const GREYLIST_MS = 60_000;
    const server = makePool(workers, { proofOfWorkDifficulty: DIFFICULTY, greylistMs: GREYLIST_MS });
    const greylisted: Greylisting[] = [];
    const refusals: Refusal[] = [];
    server.on('greylisted', (entry) => greylisted.push(entry));
    server.on('refused', (refusal) => refusals.push(refusal));
    try {
      const { port } = await server.listen();
      const before = Date.now();
      const weak = await settle(connect('127.0.0.1', port, handshakeOptions(weakIdentity(DIFFICULTY), NODE)).then((auth) => auth.accept()));
      assert.equal(weak.ok, false);
      await until(() => greylisted.length === 1, "the 'greylisted' event");
      const entry = greylisted[0]!;
      assert.equal(entry.address, '127.0.0.1');
      assert.equal(entry.code, 'NOT_ENOUGH_PROOF_OF_WORK');
      assert.equal(entry.option, 'greylistMs');
      assert.match(entry.reason, /proof of work/);
      assert.ok(entry.until >= before + GREYLIST_MS && entry.until <= Date.now() + GREYLIST_MS, `until ${entry.until}`);

      // Every later dial from that address, with enough proof of work or not, is refused before the handshake.
      const honest = closedBeforeHandshake(await settle(connect('127.0.0.1', port, handshakeOptions(makeIdentity(DIFFICULTY), NODE))));
      assert.match(honest.message, /greylisted/);
      await until(() => refusals.length === 1, "the 'refused' event");
      const refusal = refusals[0]!;
      assert.equal(refusal.code, 'POINT_BANNED');
      assert.equal(refusal.option, 'greylistMs');
      assert.equal(refusal.until, entry.until);
      assert.match(refusal.reason, /greylisted until .* after NOT_ENOUGH_PROOF_OF_WORK/);
      assert.match(refusal.reason, /pool\.unban\(\{ address: '127\.0\.0\.1' \}\)/);

      server.unban({ address: '127.0.0.1' });
      const admitted = await connect('127.0.0.1', port, handshakeOptions(makeIdentity(DIFFICULTY), NODE)).then((auth) => auth.accept());
      await admitted.close();
    } finally {
      await server.close();
    }
  });
}
