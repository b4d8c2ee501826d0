/**
 * The Octez socket scenarios of protocol.md §13.1–§13.2, over real loopback sockets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { authenticate } from '../src/main/authenticate.ts';
import { connect } from '../src/main/connect.ts';
import { bytesCodec } from '../src/main/codecs.ts';
import { handshakeOptions, loopback, makeIdentity, settle, TEST_VERSION } from './support/fixtures.ts';

const server = makeIdentity(1);
const client = makeIdentity(1);

/** Runs a server body and a client body against each other on a fresh loopback port. */
async function scenario<S, C>(
  serverSide: (socket: import('node:net').Socket) => Promise<S>,
  clientSide: (port: number) => Promise<C>,
) {
  const lb = await loopback();
  try {
    const [s, c] = await Promise.all([settle(lb.accepted().then(serverSide)), settle(clientSide(lb.port))]);
    return { server: s, client: c };
  } finally {
    await lb.close();
  }
}

test('pow: a peer below our target is refused with NOT_ENOUGH_PROOF_OF_WORK; the peer sees CONNECTION_CLOSED', async () => {
  const result = await scenario(
    (socket) => authenticate(socket, { ...handshakeOptions(server), incoming: true, proofOfWorkDifficulty: 100 }),
    (port) => connect('127.0.0.1', port, handshakeOptions(client)),
  );
  assert.equal(result.server.ok, false);
  assert.equal(!result.server.ok && result.server.error.code, 'NOT_ENOUGH_PROOF_OF_WORK');
  assert.equal(!result.client.ok && result.client.error.code, 'CONNECTION_CLOSED');
});

test('nacked: the client nacks, the server accept gets REJECTED_BY_NACK from Nack_v_0', async () => {
  const result = await scenario(
    async (socket) => {
      const auth = await authenticate(socket, { ...handshakeOptions(server), incoming: true });
      return auth.accept();
    },
    async (port) => {
      const auth = await connect('127.0.0.1', port, handshakeOptions(client));
      await auth.nack(1, [{ host: '127.0.0.1', port: 9732 }]);
      return auth.info;
    },
  );
  assert.equal(result.client.ok, true);
  assert.equal(!result.server.ok && result.server.error.code, 'REJECTED_BY_NACK');
  // p2p_version 0 on both sides: Nack_v_0, which drops motive and list (protocol.md §8.5–§8.6).
  const error = !result.server.ok ? (result.server.error as unknown as { motive: number; alternativePoints: unknown }) : undefined;
  assert.equal(error?.motive, 0);
  assert.equal(error?.alternativePoints, undefined);
});

test('p2p socket nack: the server checks info then nacks; with p2p 1 the client sees motive and points', async () => {
  const version = { ...TEST_VERSION, p2pVersion: 1 };
  const result = await scenario(
    async (socket) => {
      const auth = await authenticate(socket, { ...handshakeOptions(server, version), incoming: true });
      assert.equal(auth.info.incoming, true);
      assert.equal(auth.info.peerId, client.peerId);
      await auth.nack(1, [{ host: '127.0.0.1', port: 9732 }, { host: '::1', port: 9733 }]);
    },
    async (port) => (await connect('127.0.0.1', port, handshakeOptions(client, version))).accept(),
  );
  assert.equal(result.server.ok, true);
  assert.equal(!result.client.ok && result.client.error.code, 'REJECTED_BY_NACK');
  const error = !result.client.ok ? (result.client.error as unknown as { motive: number; alternativePoints: string[] }) : undefined;
  assert.equal(error?.motive, 1);
  assert.deepEqual(error?.alternativePoints, ['127.0.0.1:9732', '[::1]:9733']);
});

for (const [name, size, binaryChunksSize] of [
  ['simple-message', 16, undefined],
  ['chunked-message', 256, 21],
  ['oversized-message', 131072, undefined],
] as const) {
  test(`${name}: ${size}-byte messages both ways arrive intact`, async () => {
    const serverMsg = randomBytes(size);
    const clientMsg = randomBytes(size);
    const exchange = async (conn: import('../src/main/connection.ts').Connection<Uint8Array, undefined>, mine: Buffer) => {
      await conn.writeSync(mine);
      const got = await conn.read();
      await conn.close();
      return got;
    };
    const result = await scenario(
      async (socket) => {
        const auth = await authenticate(socket, { ...handshakeOptions(server), incoming: true });
        return exchange(await auth.accept({ codec: bytesCodec, binaryChunksSize }), serverMsg);
      },
      async (port) => {
        const auth = await connect('127.0.0.1', port, handshakeOptions(client));
        return exchange(await auth.accept({ codec: bytesCodec, binaryChunksSize }), clientMsg);
      },
    );
    assert.ok(result.server.ok && result.client.ok, 'both sides succeed');
    assert.deepEqual(Buffer.from(result.server.value.message), clientMsg);
    assert.deepEqual(Buffer.from(result.client.value.message), serverMsg);
    assert.equal(result.client.value.size, size + 4);
  });
}

test('close-on-read: the server closes after accept; the client read gets CONNECTION_CLOSED', async () => {
  const result = await scenario(
    async (socket) => {
      const conn = await (await authenticate(socket, { ...handshakeOptions(server), incoming: true })).accept();
      await conn.close();
    },
    async (port) => {
      const conn = await (await connect('127.0.0.1', port, handshakeOptions(client))).accept();
      return conn.read();
    },
  );
  assert.equal(result.server.ok, true);
  assert.equal(!result.client.ok && result.client.error.code, 'CONNECTION_CLOSED');
});

test('close-on-write: after the peer closed, writeSync gets CONNECTION_CLOSED', async () => {
  const result = await scenario(
    async (socket) => {
      const conn = await (await authenticate(socket, { ...handshakeOptions(server), incoming: true })).accept();
      await conn.close();
    },
    async (port) => {
      const conn = await (await connect('127.0.0.1', port, handshakeOptions(client))).accept();
      await sleep(100);
      return conn.writeSync(randomBytes(16));
    },
  );
  assert.equal(result.server.ok, true);
  assert.equal(!result.client.ok && result.client.error.code, 'CONNECTION_CLOSED');
});

test('garbled-data: a body the codec cannot decode gives DECODING_ERROR; the other side then reads CONNECTION_CLOSED', async () => {
  // `dynamic_size (option string)`: tag 0x00 = None, 0x01 = Some; 0xff is Unexpected_tag (protocol.md §13.1).
  const optionString = {
    encode: (value: string | null) => (value === null ? Buffer.from([0]) : Buffer.concat([Buffer.from([1, 0, 0, 0, value.length]), Buffer.from(value)])),
    decode: (body: Buffer) => {
      if (body[0] === 0 && body.length === 1) return null;
      if (body[0] !== 1) throw new Error(`unexpected tag ${body[0]}`);
      return body.subarray(5).toString();
    },
  };
  const result = await scenario(
    async (socket) => {
      const conn = await (await authenticate(socket, { ...handshakeOptions(server), incoming: true })).accept({ codec: bytesCodec });
      await conn.writeSync(Buffer.from('ffffffff', 'hex'));
      return conn.read();
    },
    async (port) => {
      const conn = await (await connect('127.0.0.1', port, handshakeOptions(client))).accept({ codec: optionString });
      const outcome = await settle(conn.read());
      await conn.close();
      return outcome;
    },
  );
  assert.ok(result.client.ok);
  assert.equal(!result.client.value.ok && result.client.value.error.code, 'DECODING_ERROR');
  assert.equal(!result.server.ok && result.server.error.code, 'CONNECTION_CLOSED');
});

test('self peer id: a client replaying the server public key fails with NOT_ENOUGH_PROOF_OF_WORK or DECIPHER_ERROR, never MYSELF', async () => {
  const impostor = { ...client, publicKey: server.publicKey, peerIdBytes: server.peerIdBytes, peerId: server.peerId };
  const result = await scenario(
    (socket) => authenticate(socket, { ...handshakeOptions(server), incoming: true }),
    (port) => connect('127.0.0.1', port, handshakeOptions(impostor)),
  );
  assert.equal(result.server.ok, false);
  assert.ok(!result.server.ok && ['DECIPHER_ERROR', 'NOT_ENOUGH_PROOF_OF_WORK'].includes(result.server.error.code ?? ''), `got ${!result.server.ok && result.server.error.code}`);
});

test('myself: connecting to our own identity completes the metadata exchange and fails with MYSELF on both sides', async () => {
  const result = await scenario(
    (socket) => authenticate(socket, { ...handshakeOptions(server), incoming: true }),
    (port) => connect('127.0.0.1', port, handshakeOptions(server)),
  );
  assert.equal(!result.server.ok && result.server.error.code, 'MYSELF');
  assert.equal(!result.client.ok && result.client.error.code, 'MYSELF');
});
