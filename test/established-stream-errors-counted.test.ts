/**
 * A stream that fails after the handshake is counted in `pool.stats().errors` and in the
 * `p2p_socket_errors_total` metric under its code, as a failed handshake is: a chunk header
 * announcing less than a tag, a forged chunk, a message stalled past `messageTimeout`, a message
 * above `maxMessageSize`. A peer's orderly end is no failure and counts nothing. Both pool
 * modes, over real loopback sockets, each fault sent by a hand-driven peer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../src/main/connection.ts';
import type { Pool, PoolOptions } from '../src/main/pool.ts';
import { P2pError } from '../src/shared/errors.ts';
import { encodeStream } from '../src/shared/session/encoded-message.ts';
import { closedWithin, makeIdentity } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';
import { establishedPeer, framed, type ScriptedPeer } from './support/scripted-peer.ts';

type Conn = Connection<Uint8Array, undefined>;

/** One sealed chunk holding exactly `plain`. */
function sealed(peer: ScriptedPeer, plain: Buffer): Buffer {
  const encoded = encodeStream(plain, Math.max(1, plain.length));
  encoded.consume();
  return Buffer.from(peer.sealer!.seal(encoded));
}

/** What a peer does once established, the pool options it needs, and the code it must end with. */
const FAULTS: ReadonlyArray<{ name: string; code: string; options: Partial<PoolOptions<Uint8Array, undefined>>; send(peer: ScriptedPeer): void }> = [
  {
    name: 'a chunk header announcing 3 bytes',
    code: 'INVALID_INCOMING_CIPHERTEXT_SIZE',
    options: {},
    send: (peer) => peer.raw(Buffer.from([0, 3, 1, 2, 3])),
  },
  {
    name: 'a chunk with a forged tag',
    code: 'DECIPHER_ERROR',
    options: {},
    send: (peer) => {
      const chunk = sealed(peer, framed(Buffer.from('hello')));
      chunk[5]! ^= 0x40;
      peer.raw(chunk);
    },
  },
  {
    name: 'half a message, then silence past messageTimeout',
    code: 'TIMEOUT',
    options: { accept: { messageTimeout: 200 } },
    send: (peer) => peer.raw(sealed(peer, framed(Buffer.alloc(100)).subarray(0, 50))),
  },
  {
    name: 'a message above maxMessageSize',
    code: 'DECODING_ERROR',
    options: { accept: { maxMessageSize: 1000 } },
    send: (peer) => peer.raw(sealed(peer, framed(Buffer.alloc(2000)))),
  },
];

/** Polls `check` every 10 ms for at most `ms` (a bound on the test, not a timing assertion). */
async function eventually(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function withServer(workers: number, options: Partial<PoolOptions<Uint8Array, undefined>>, run: (pool: Pool<Uint8Array, undefined>, port: number, connections: Conn[]) => Promise<void>): Promise<void> {
  const pool = makePool(workers, options);
  const connections: Conn[] = [];
  pool.on('connection', (conn) => connections.push(conn));
  try {
    const { port } = await pool.listen();
    await run(pool, port, connections);
  } finally {
    await pool.close();
  }
}

for (const { name, workers } of MODES) {
  for (const fault of FAULTS) {
    test(`${name}: ${fault.name} after the handshake ends the connection with ${fault.code}, counted once in stats().errors and errors_total`, async () => {
      await withServer(workers, fault.options, async (pool, port, connections) => {
        const peer = await establishedPeer(port, makeIdentity(1));
        await eventually(() => connections.length === 1, 10_000, 'accepted');
        const before = pool.stats().errors[fault.code] ?? 0;
        fault.send(peer);
        const conn = connections[0]!;
        await assert.rejects(conn.read({ signal: AbortSignal.timeout(10_000) }), (error: unknown) => error instanceof P2pError && error.code === fault.code);
        await conn.ended;
        await closedWithin(peer.socket, 5000);
        assert.equal(pool.stats().errors[fault.code], before + 1);
        assert.match(await pool.metrics(), new RegExp(`^p2p_socket_errors_total\\{code="${fault.code}"\\} ${before + 1}$`, 'm'));
      });
    });
  }

  test(`${name}: a peer's orderly end after the handshake counts no error`, async () => {
    await withServer(workers, {}, async (pool, port, connections) => {
      const peer = await establishedPeer(port, makeIdentity(1));
      await eventually(() => connections.length === 1, 10_000, 'accepted');
      peer.raw(sealed(peer, framed(Buffer.from('bye'))));
      peer.socket.end();
      const conn = connections[0]!;
      assert.equal(Buffer.from((await conn.read({ signal: AbortSignal.timeout(10_000) })).message).toString(), 'bye');
      await conn.ended;
      assert.deepEqual(pool.stats().errors, {});
    });
  });
}
