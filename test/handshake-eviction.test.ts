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
import { connect as netConnect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { closedWithin, rawClientFrom, settle } from './support/fixtures.ts';
import type { Refusal } from '../src/main/refusal.ts';
import { echo, makePool, MODES } from './support/pools.ts';

/** The `index`th attacker address: 127.0.1.1 … 127.0.1.250, 127.0.2.1 …, never 127.0.0.x. */
function attackerAddress(index: number): string {
  return `127.0.${1 + Math.floor(index / 250)}.${1 + (index % 250)}`;
}

/**
 * `count` sockets that send nothing, each reopened from the next of `addresses` source addresses
 * 10 ms after the server drops it, until `stop()`.
 */
function rotatingIdleFlood(port: number, count: number, addresses: number): { stop: () => Promise<void>; opened: () => number } {
  let running = true;
  let opened = 0;
  const open = new Set<Socket>();
  const dial = (): void => {
    if (!running) return;
    const socket = netConnect({ host: '127.0.0.1', port, localAddress: attackerAddress(opened++ % addresses) });
    open.add(socket);
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    // As fair-admission.test.ts: 10 ms, not 0, keeps the connection rate within what the kernel's
    // ephemeral ports and a 2-core machine carry.
    socket.on('close', () => {
      open.delete(socket);
      setTimeout(dial, 10);
    });
  };
  for (let i = 0; i < count; i++) dial();
  return {
    opened: () => opened,
    stop: async () => {
      running = false;
      for (const socket of open) socket.destroy();
      await sleep(50);
    },
  };
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
      const flood = rotatingIdleFlood(port, ATTACKERS, addresses);
      try {
        await sleep(300); // the attacker holds every handshake slot first
        let ok = 0;
        const failures: Record<string, number> = {};
        // Four at a time (under pressure one address may hold maxIncomingHandshakesPerAddress, 5),
        // twenty rounds spread over a few seconds.
        for (let round = 0; round < DIALS / 4; round++) {
          const outcomes = await Promise.all(
            Array.from({ length: 4 }, async () => {
              const dialled = await settle(honest.connect({ host: '127.0.0.1', port }));
              if (!dialled.ok) return dialled.error.code ?? 'connect failed';
              await dialled.value.write(Buffer.from('hello'));
              const echoed = await settle(dialled.value.read({ signal: AbortSignal.timeout(3000) }));
              await dialled.value.close();
              return echoed.ok ? 'ok' : (echoed.error.code ?? 'read failed');
            }),
          );
          for (const outcome of outcomes) outcome === 'ok' ? ok++ : (failures[outcome] = (failures[outcome] ?? 0) + 1);
          await sleep(50);
        }
        const stats = server.stats();
        t.diagnostic(`${ok}/${DIALS} honest dials succeeded (${Math.round((ok * 100) / DIALS)}%); attacker opened ${flood.opened()} sockets; ${evicted.length} evicted; honest failures ${JSON.stringify(failures)}; server errors ${JSON.stringify(stats.errors)}`);
        assert.ok(ok >= DIALS * 0.7, `${ok}/${DIALS} honest dials succeeded; failures ${JSON.stringify(failures)}; server errors ${JSON.stringify(stats.errors)}`);
        assert.ok(evicted.length > 0, 'no handshake was evicted');
        assert.ok(!evicted.includes('127.0.0.1') || evicted.filter((address) => address === '127.0.0.1').length < evicted.length / 10, `honest handshakes evicted: ${evicted.length}`);
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
