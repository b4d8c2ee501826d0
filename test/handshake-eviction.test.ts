/**
 * Slow-loris over many addresses (protocol.md §11.4, docs/security.md): idle sockets spread over
 * so many source addresses that neither the per-address share nor greylisting applies must not
 * lock out honest peers, because a newcomer evicts the handshake that has been silent longest.
 * The attacker dials from 127.0.1.1 … 127.0.4.250 in turn (Linux answers for all of 127/8), the
 * honest peer from 127.0.0.1; the server listens on 127.0.0.1 (loopback only). Both pool modes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { closedWithin, rawClientFrom } from './support/fixtures.ts';
import { echoDials } from './support/echo-dials.ts';
import type { Refusal } from '../src/main/refusal.ts';
import { idleFlood } from './support/idle-flood.ts';
import { echo, makePool, MODES } from './support/pools.ts';

/** The `index`th attacker address: 127.0.1.1 … 127.0.1.250, 127.0.2.1 …, never 127.0.0.x. */
function attackerAddress(index: number): string {
  return `127.0.${1 + Math.floor(index / 250)}.${1 + (index % 250)}`;
}

const ATTACKERS = 40;
const DIALS = 80;

for (const { name, workers } of MODES) {
  for (const addresses of [1000, 80]) {
    test(`${name}: ${ATTACKERS} idle sockets rotating over ${addresses} addresses; ≥ 70% of ${DIALS} honest dials succeed, the silent handshakes are evicted`, { timeout: 120_000 }, async (t) => {
      const server = makePool(workers, { handshakeTimeout: 1000, maxIncomingHandshakes: 20, maxConnections: 1000, allowDuplicatePeers: true });
      const honest = makePool(0, { connectTimeout: 3000, allowDuplicatePeers: true });
      echo(server);
      const evicted: string[] = [];
      server.on('refused', (refusal) => {
        if (refusal.code === 'TIMEOUT') evicted.push(refusal.address);
      });
      const { port } = await server.listen();
      await server.ready();
      // Each reopening comes from the next address.
      const flood = idleFlood(port, ATTACKERS, (n) => attackerAddress(n % addresses));
      try {
        await sleep(300); // the attacker holds every handshake slot first
        // Four at a time (under pressure one address may hold maxIncomingHandshakesPerAddress, 5),
        // twenty rounds spread over a few seconds.
        const { ok, failures } = await echoDials(honest, port, DIALS, 4, 50);
        const stats = server.stats();
        t.diagnostic(`${ok}/${DIALS} honest dials succeeded (${Math.round((ok * 100) / DIALS)}%); attacker opened ${flood.opened()} sockets; ${evicted.length} evicted; honest failures ${JSON.stringify(failures)}; server errors ${JSON.stringify(stats.errors)}`);
        assert.ok(ok >= DIALS * 0.7, `${ok}/${DIALS} honest dials succeeded; failures ${JSON.stringify(failures)}; server errors ${JSON.stringify(stats.errors)}`);
        assert.ok(evicted.length > 0, 'no handshake was evicted');
        const honestEvicted = evicted.filter((address) => address === '127.0.0.1').length;
        assert.ok(honestEvicted <= evicted.length / 10, `${honestEvicted} of ${evicted.length} evicted handshakes were the honest peer's`);
        assert.equal(server.bannedAddresses.refuses('127.0.0.1'), false);
      } finally {
        await flood.stop();
        await honest.close();
        await server.close();
      }
    });
  }
}

for (const { name, workers } of MODES) {
  test(`${name}: a newcomer evicts the oldest silent handshake, not an older one that has sent bytes; 'refused' says so and TIMEOUT counts it`, async () => {
    // 20 s deadline: a handshake that has spoken keeps its slot for 5 s, longer than this test.
    const server = makePool(workers, { handshakeTimeout: 20_000, maxIncomingHandshakes: 4, maxIncomingHandshakesPerAddress: 4 });
    const refusals: Refusal[] = [];
    server.on('refused', (refusal) => refusals.push(refusal));
    const sockets: Socket[] = [];
    try {
      const { port } = await server.listen();
      await server.ready();
      // The oldest waits for the server's connection message (its handshake has started on the
      // thread that owns the socket), so it is read from the start.
      const speaking = await rawClientFrom('127.0.1.1', port);
      sockets.push(speaking);
      await once(speaking, 'data');
      for (const address of ['127.0.1.2', '127.0.1.3', '127.0.1.4']) sockets.push(await rawClientFrom(address, port));
      // Each reads, so it sees the server's FIN and closes, as a peer that is dropped does.
      for (const socket of sockets) socket.on('data', () => undefined).on('error', () => undefined);
      const deadline = Date.now() + 3000;
      while (server.stats().handshakesInFlight < 4 && Date.now() < deadline) await sleep(20);
      assert.equal(server.stats().handshakesInFlight, 4);
      // Then it sends the first byte of its connection message's length, and nothing more. Main
      // must see that byte before the newcomer comes: a shard publishes it as it reads it, well
      // within these 100 ms (its periodic refresh, every 250 ms, would often be too late).
      speaking.write(Buffer.from([0]));
      await sleep(100);
      const newcomer = await rawClientFrom('127.0.1.5', port);
      newcomer.on('data', () => undefined).on('error', () => undefined);
      sockets.push(newcomer);
      await closedWithin(sockets[1]!, 3000);
      assert.deepEqual(
        refusals.map(({ code, address, option, direction }) => ({ code, address, option, direction })),
        [{ code: 'TIMEOUT', address: '127.0.1.2', option: 'maxIncomingHandshakes', direction: 'incoming' }],
      );
      assert.match(refusals[0]!.reason, /evicted after it sent nothing in \d+ ms: all 4 incoming handshake slots were taken/);
      assert.equal(speaking.closed, false, 'the handshake that sent a byte was evicted');
      while (server.stats().errors['TIMEOUT'] === undefined && Date.now() < deadline) await sleep(20);
      assert.equal(server.stats().errors['TIMEOUT'], 1);
      assert.equal(server.stats().handshakesInFlight, 4);
    } finally {
      for (const socket of sockets) socket.destroy();
      await server.close();
    }
  });
}
