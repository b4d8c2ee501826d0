/**
 * Wire-exact handshake: a full session between the spec's identities A and B, with their fixed
 * message nonces, must put exactly the bytes of protocol.md §1.3, §6.5 and §8.4 on the wire.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { authenticate } from '../src/main/authenticate.ts';
import { channelKey } from '../src/shared/crypto/box.ts';
import { ChunkOpener, ChunkSealer } from '../src/shared/session/chunk-cipher.ts';
import { encodeStream } from '../src/shared/session/encoded-message.ts';
import { MAX_CHUNK_CONTENT } from '../src/shared/session/chunk-layout.ts';
import { nodeMetadataConfig } from '../src/shared/wire/metadata.ts';
import { hex, loopback, rawClient, vectorIdentity, vectors } from './support/fixtures.ts';

const session = vectors.session;
const chunk = (what: string): { plaintext: string; nonce: string; wire: string } => {
  const found = session.chunks.find((c: { what: string }) => c.what.startsWith(what));
  assert.ok(found, what);
  return found;
};
const version = { chainName: 'MAVRYK_MAINNET', distributedDbVersion: 2, p2pVersion: 1 };

/**
 * What `socket` is handed to send, copied at once: a layout may go back to its pool once written.
 * Its peer's reads cannot be tapped instead: an established socket reads into a buffer of its
 * thread, not through 'data' events (borrowed-reads.ts).
 */
function tap(socket: Socket): Buffer[] {
  const seen: Buffer[] = [];
  const write = socket.write;
  socket.write = function (this: Socket, data: Uint8Array | string, ...rest: unknown[]): boolean {
    seen.push(Buffer.from(data));
    return (write as (...args: unknown[]) => boolean).call(this, data, ...rest);
  } as typeof socket.write;
  return seen;
}

test('every chunk vector seals to its wire bytes and opens back (protocol.md §6.5)', () => {
  const key = hex(session.channel_key);
  for (const c of session.chunks) {
    const sealer = new ChunkSealer(key, hex(c.nonce));
    const encoded = encodeStream(hex(c.plaintext), MAX_CHUNK_CONTENT);
    encoded.consume();
    assert.equal(sealer.seal(encoded).toString('hex'), c.wire, c.what);
    const wire = hex(c.wire);
    assert.equal(new ChunkOpener(key, hex(c.nonce)).open(wire.subarray(2)).toString('hex'), c.plaintext, c.what);
  }
});

test('channel key of A and B matches the vector from both sides (protocol.md §4.3)', () => {
  const a = vectorIdentity('A');
  const b = vectorIdentity('B');
  assert.equal(channelKey(a.secretKey, b.publicKey).toString('hex'), session.channel_key);
  assert.equal(channelKey(b.secretKey, a.publicKey).toString('hex'), session.channel_key);
});

async function runSession(responderAnswer: 'ack' | 'nack') {
  const lb = await loopback();
  try {
    const clientSocket = await rawClient(lb.port);
    const serverSocket = await lb.accepted();
    const fromA = tap(clientSocket);
    const fromB = tap(serverSocket);
    const common = { announcedVersion: version, proofOfWorkDifficulty: 26, timeout: 5000 };
    const [authA, authB] = await Promise.all([
      authenticate(clientSocket, {
        ...common,
        identity: vectorIdentity('A'),
        incoming: false,
        advertisedPort: 9733,
        messageNonce: Buffer.alloc(24, 0xaa),
        metadata: nodeMetadataConfig({ disableMempool: false, privateNode: false }),
      }),
      authenticate(serverSocket, {
        ...common,
        identity: vectorIdentity('B'),
        incoming: true,
        advertisedPort: 9732,
        messageNonce: Buffer.alloc(24, 0xbb),
        metadata: nodeMetadataConfig({ disableMempool: false, privateNode: true }),
      }),
    ]);
    assert.equal(authA.info.peerId, vectors.identities.B.peer_id);
    assert.equal(authB.info.peerId, vectors.identities.A.peer_id);
    assert.equal(authA.info.privateNode, true);
    assert.equal(authB.info.privateNode, false);
    assert.deepEqual(authB.info.idPoint, { host: '127.0.0.1', port: 9733 });
    if (responderAnswer === 'ack') {
      const [connA, connB] = await Promise.all([authA.accept(), authB.accept()]);
      await connA.writeSync(hex('0002'));
      const received = await connB.read();
      assert.equal(Buffer.from(received.message).toString('hex'), '0002');
      assert.equal(received.size, 6);
      await Promise.all([connA.close({ wait: true }), connB.close({ wait: true })]);
    } else {
      const [accepted] = await Promise.all([
        authA.accept().then(
          () => assert.fail('accept must fail'),
          (error: { code: string; motive: number; alternativePoints: string[] }) => error,
        ),
        authB.nack(1, [{ host: '127.0.0.1', port: 9732 }, { host: '::1', port: 9732 }]),
      ]);
      assert.equal(accepted.code, 'REJECTED_BY_NACK');
      assert.equal(accepted.motive, 1);
      assert.deepEqual(accepted.alternativePoints, ['127.0.0.1:9732', '[::1]:9732']);
    }
    return { aToB: Buffer.concat(fromA).toString('hex'), bToA: Buffer.concat(fromB).toString('hex') };
  } finally {
    await lb.close();
  }
}

test('a full A/B session puts exactly the spec bytes on the wire, both directions (protocol.md §1.3, §6.5)', async () => {
  const { aToB, bToA } = await runSession('ack');
  assert.equal(
    aToB,
    session.connection_message_A + chunk('A->B metadata').wire + chunk('A->B Ack').wire + chunk('A->B first stream chunk').wire,
  );
  assert.equal(bToA, session.connection_message_B + chunk('B->A metadata').wire + chunk('B->A Ack').wire);
});

test('a Nack with points puts the §8.4 chunk on the wire and the initiator sees motive and points', async () => {
  const { bToA } = await runSession('nack');
  assert.equal(bToA, session.connection_message_B + chunk('B->A metadata').wire + chunk('B->A Nack #1').wire);
});
