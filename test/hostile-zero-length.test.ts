/**
 * Zero- and maximum-length fields from a hostile peer: a connection message that
 * announces 0 bytes and then nothing, or 65535 bytes, ends in a typed error on that connection,
 * the address is greylisted, and the server (with no 'error' listener) keeps serving
 * (protocol.md §1.1, §10.2). Both pool modes, over real loopback sockets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authenticate } from '../src/main/authenticate.ts';
import { P2pError } from '../src/shared/errors.ts';
import { HANDSHAKE_INPUT_LIMIT, SessionTransport } from '../src/shared/session/transport.ts';
import { closedWithin, escapedErrors, handshakeOptions, loopback, makeIdentity, rawClient, rawClientFrom, settle } from './support/fixtures.ts';
import { echo, makePool, MODES } from './support/pools.ts';

const ATTACKER = '127.0.0.2';

/** What a peer sends as its connection message: announced length, then the bytes it sends. */
const CASES = [
  { name: '00 00 then silence', bytes: Buffer.from([0, 0]), reason: 'NOT_ENOUGH_DATA' },
  { name: 'a maximal (65535-byte) body of zeros', bytes: Buffer.concat([Buffer.from([0xff, 0xff]), Buffer.alloc(0xffff)]), reason: 'NOT_ENOUGH_DATA' },
] as const;

for (const { name, bytes } of CASES) {
  test(`authenticate: a connection message of ${name} gives DECODING_ERROR and a closed socket`, async () => {
    const lb = await loopback();
    try {
      const peer = await rawClient(lb.port);
      peer.on('data', () => undefined);
      peer.on('error', () => undefined);
      const socket = await lb.accepted();
      const escaped = await escapedErrors(async () => {
        const pending = settle(authenticate(socket, { ...handshakeOptions(makeIdentity(1)), incoming: true, timeout: 3000 }));
        peer.write(bytes); // and then wait
        const outcome = await pending;
        assert.equal(outcome.ok, false);
        if (!outcome.ok) {
          assert.ok(outcome.error instanceof P2pError, `typed error expected, got ${String(outcome.error)}`);
          assert.equal(outcome.error.code, 'DECODING_ERROR');
        }
        await closedWithin(peer, 3000);
      });
      assert.deepEqual(escaped, []);
    } finally {
      await lb.close();
    }
  });
}

test('transport: a zero-byte read with nothing buffered resolves to no bytes; the next read still waits for its bytes', async () => {
  const lb = await loopback();
  try {
    const peer = await rawClient(lb.port);
    const transport = new SessionTransport(await lb.accepted(), HANDSHAKE_INPUT_LIMIT);
    assert.equal((await transport.readExact(0)).length, 0);
    const next = transport.readExact(2);
    peer.write(Buffer.from([1, 2, 3]));
    assert.deepEqual([...(await next)], [1, 2]);
    assert.equal((await transport.readExact(0)).length, 0);
    assert.deepEqual([...(await transport.readExact(1))], [3]);
    peer.destroy();
    await transport.ended;
    await assert.rejects(transport.readExact(0), { code: 'CONNECTION_CLOSED' });
  } finally {
    await lb.close();
  }
});

for (const { name: mode, workers } of MODES) {
  for (const { name, bytes } of CASES) {
    test(`${mode} pool without an 'error' listener: ${name} is refused, greylisted, and the pool keeps serving`, async () => {
      const server = makePool(workers, { handshakeTimeout: 3000 });
      const client = makePool(0);
      echo(server);
      try {
        const escaped = await escapedErrors(async () => {
          const { port } = await server.listen();
          const attacker = await rawClientFrom(ATTACKER, port);
          attacker.on('data', () => undefined);
          attacker.on('error', () => undefined);
          attacker.write(bytes);
          await closedWithin(attacker, 3000);
          // The failure is counted and greylists the address (protocol.md §10.2) …
          const deadline = Date.now() + 3000;
          while (!server.bannedAddresses.refuses(ATTACKER) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
          assert.ok(server.bannedAddresses.refuses(ATTACKER), `not greylisted; errors ${JSON.stringify(server.stats().errors)}`);
          assert.equal(server.stats().errors['DECODING_ERROR'], 1, JSON.stringify(server.stats().errors));
          assert.equal(server.stats().errors['SHARD_FAILED'], undefined);
          // … a second try from it is refused at once …
          const again = await rawClientFrom(ATTACKER, port);
          again.on('error', () => undefined);
          await closedWithin(again, 3000);
          // … and an honest peer from another address is served.
          const conn = await client.connect({ host: '127.0.0.1', port });
          await conn.write(Buffer.from('still serving'));
          assert.equal(Buffer.from((await conn.read({ signal: AbortSignal.timeout(3000) })).message).toString(), 'still serving');
        });
        assert.deepEqual(escaped, []);
        assert.equal(server.listenerCount('error'), 0);
      } finally {
        await client.close();
        await server.close();
      }
    });
  }
}
