/**
 * Bad input at each handshake step gives the right typed error within the timeout, and the
 * socket is closed (protocol.md §10.1, §11.1, §11.3).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { authenticate, type AuthenticateOptions } from '../src/main/authenticate.ts';
import { checkProofOfWork, makePowTarget, stampDifficulty } from '../src/shared/crypto/pow.ts';
import { errorFromRecord, type NotEnoughProofOfWorkError } from '../src/shared/errors.ts';
import { encodeConnectionMessage } from '../src/shared/wire/connection-message.ts';
import type { MetadataConfig } from '../src/shared/wire/metadata.ts';
import { handshakeOptions, loopback, makeIdentity, rawClient, settle, TEST_VERSION } from './support/fixtures.ts';
import { ScriptedPeer } from './support/scripted-peer.ts';

const server = makeIdentity(1);
const client = makeIdentity(1);
const TIMEOUT = 400;

/** Authenticates the server side against a scripted client; returns the outcome and both sockets. */
async function againstScript<T>(
  script: (peer: ScriptedPeer) => Promise<T>,
  serverOptions: Partial<AuthenticateOptions<undefined>> = {},
  serverStep: (auth: Awaited<ReturnType<typeof authenticate<undefined>>>) => Promise<unknown> = async () => undefined,
) {
  const lb = await loopback();
  try {
    const clientSocket = await rawClient(lb.port);
    const serverSocket = await lb.accepted();
    const peer = new ScriptedPeer(clientSocket);
    const started = Date.now();
    const [outcome, scripted] = await Promise.all([
      settle(
        authenticate(serverSocket, { ...handshakeOptions(server), incoming: true, timeout: TIMEOUT, ...serverOptions }).then(serverStep),
      ),
      settle(script(peer)),
    ]);
    const elapsed = Date.now() - started;
    await closedWithin(serverSocket, 3000);
    clientSocket.destroy();
    return { outcome, scripted, elapsed, peer };
  } finally {
    await lb.close();
  }
}

async function closedWithin(socket: Socket, ms: number): Promise<void> {
  if (socket.destroyed) return;
  await Promise.race([
    once(socket, 'close'),
    new Promise((_, reject) => setTimeout(() => reject(new Error('socket not closed')), ms).unref()),
  ]);
}

function failedWith(outcome: Awaited<ReturnType<typeof settle>>, code: string): void {
  assert.equal(outcome.ok, false, `expected ${code}, got success`);
  if (!outcome.ok) assert.equal(outcome.error.code, code, outcome.error.message);
}

test('a peer that stalls before its connection message: TIMEOUT, socket closed', async () => {
  const { outcome, elapsed } = await againstScript(async () => undefined);
  failedWith(outcome, 'TIMEOUT');
  assert.ok(elapsed < TIMEOUT + 1000);
  // The message says which step waited, and what that suggests.
  assert.match((outcome as { error: Error }).error.message, /timed out after 400 ms: no connection message from the peer — is this a P2P port\?/);
});

test('a peer that closes before its connection message: CONNECTION_CLOSED', async () => {
  const { outcome } = await againstScript(async (peer) => peer.socket.end());
  failedWith(outcome, 'CONNECTION_CLOSED');
});

test('a short header (1 byte then close): CONNECTION_CLOSED', async () => {
  const { outcome } = await againstScript(async (peer) => {
    peer.socket.end(Buffer.from([0]));
  });
  failedWith(outcome, 'CONNECTION_CLOSED');
});

test('a garbage connection message: DECODING_ERROR', async () => {
  const { outcome } = await againstScript(async (peer) => peer.raw(Buffer.from('00050102030405', 'hex')));
  failedWith(outcome, 'DECODING_ERROR');
});

test('a connection message with a trailing byte: DECODING_ERROR (EXTRA_BYTES)', async () => {
  const valid = encodeConnectionMessage({
    port: undefined,
    publicKey: client.publicKey,
    proofOfWorkStamp: client.proofOfWorkStamp,
    messageNonce: Buffer.alloc(24),
    version: TEST_VERSION,
  });
  const extended = Buffer.concat([valid, Buffer.from([0])]);
  extended.writeUInt16BE(extended.length - 2, 0);
  const { outcome } = await againstScript(async (peer) => peer.raw(extended));
  failedWith(outcome, 'DECODING_ERROR');
  assert.equal((outcome as { error: { reason?: string } }).error.reason, 'EXTRA_BYTES');
});

test('a stamp below our difficulty: NOT_ENOUGH_PROOF_OF_WORK before any encrypted byte', async () => {
  const target = makePowTarget(16);
  let weak = makeIdentity(0);
  while (checkProofOfWork(weak.publicKey, weak.proofOfWorkStamp, target)) weak = makeIdentity(0);
  const { outcome, scripted } = await againstScript(async (peer) => {
    peer.sendConnectionMessage(weak);
    const theirs = await peer.readConnectionMessage(weak);
    return { theirs, rest: await drain(peer) };
  }, { proofOfWorkDifficulty: 16 });
  failedWith(outcome, 'NOT_ENOUGH_PROOF_OF_WORK');
  // Required and offered difficulty, as fields and in the message.
  const offered = stampDifficulty(weak.publicKey, weak.proofOfWorkStamp);
  assert.ok(offered < 16);
  const error = (outcome as unknown as { error: NotEnoughProofOfWorkError }).error;
  assert.equal(error.required, 16);
  assert.equal(error.offered, offered);
  assert.match(error.message, new RegExp(`meets difficulty ${offered}, we require 16`));
  assert.deepEqual(errorFromRecord(error.toRecord()), error, 'the fields survive a thread crossing');
  assert.ok(scripted.ok);
  assert.equal(scripted.value.rest, 0, 'no metadata chunk was sent');
});

test('a low-order public key: INVALID_PUBLIC_KEY before any encrypted byte (protocol.md §4.2)', async () => {
  const { outcome, scripted } = await againstScript(async (peer) => {
    peer.sendConnectionMessage(client, { publicKey: Buffer.alloc(32) });
    await peer.transport.readExact(2).then((p) => peer.transport.readExact(p.readUInt16BE(0)));
    return drain(peer);
  }, { proofOfWorkDifficulty: 0 });
  failedWith(outcome, 'INVALID_PUBLIC_KEY');
  assert.ok(scripted.ok);
  assert.equal(scripted.value, 0, 'nothing after the connection message');
});

test('a peer that stalls after its connection message: TIMEOUT', async () => {
  const { outcome } = await againstScript(async (peer) => {
    peer.sendConnectionMessage(client);
    await peer.readConnectionMessage(client);
  });
  failedWith(outcome, 'TIMEOUT');
  assert.match((outcome as { error: Error }).error.message, /no metadata from the peer after its connection message/);
});

test('a metadata chunk header below 16: INVALID_INCOMING_CIPHERTEXT_SIZE', async () => {
  const { outcome } = await againstScript(async (peer) => {
    peer.sendConnectionMessage(client);
    await peer.readConnectionMessage(client);
    peer.raw(Buffer.from('000f' + '00'.repeat(15), 'hex'));
  });
  failedWith(outcome, 'INVALID_INCOMING_CIPHERTEXT_SIZE');
});

test('a garbled metadata chunk: DECIPHER_ERROR', async () => {
  const { outcome } = await againstScript(async (peer) => {
    peer.sendConnectionMessage(client);
    await peer.readConnectionMessage(client);
    peer.raw(Buffer.from('0012' + 'ab'.repeat(18), 'hex'));
  });
  failedWith(outcome, 'DECIPHER_ERROR');
});

test('metadata of the wrong length: DECODING_ERROR', async () => {
  const { outcome } = await againstScript(async (peer) => {
    peer.sendConnectionMessage(client);
    await peer.readConnectionMessage(client);
    peer.sendChunk(Buffer.from([1]));
  });
  failedWith(outcome, 'DECODING_ERROR');
});

test('local metadata larger than a chunk: INVALID_MESSAGE_SIZE; a throwing encoder: ENCODING_ERROR', async () => {
  const big: MetadataConfig<undefined> = {
    codec: { encode: () => Buffer.alloc(65518), decode: () => undefined },
    value: undefined,
    privateNode: () => false,
  };
  const broken: MetadataConfig<undefined> = {
    codec: { encode: () => { throw new Error('nope'); }, decode: () => undefined },
    value: undefined,
    privateNode: () => false,
  };
  const tooBig = await againstScript(async () => undefined, { metadata: big });
  failedWith(tooBig.outcome, 'INVALID_MESSAGE_SIZE');
  const failing = await againstScript(async () => undefined, { metadata: broken });
  failedWith(failing.outcome, 'ENCODING_ERROR');
});

const throughMetadata = async (peer: ScriptedPeer): Promise<void> => {
  peer.sendConnectionMessage(client);
  await peer.readConnectionMessage(client);
  peer.sendChunk(Buffer.alloc(0));
  await peer.readChunk();
};

test('accept: a peer that stalls instead of its Ack: TIMEOUT', async () => {
  const { outcome } = await againstScript(throughMetadata, {}, (auth) => auth.accept({ timeout: TIMEOUT }));
  failedWith(outcome, 'TIMEOUT');
  assert.match((outcome as { error: Error }).error.message, /no Ack or Nack from the peer after the metadata exchange/);
});

test('accept: a peer that closes instead of its Ack: REJECTED_SOCKET_CONNECTION', async () => {
  const { outcome } = await againstScript(async (peer) => {
    await throughMetadata(peer);
    peer.socket.end();
  }, {}, (auth) => auth.accept());
  failedWith(outcome, 'REJECTED_SOCKET_CONNECTION');
});

test('accept: a garbled Ack: INVALID_AUTH', async () => {
  const { outcome } = await againstScript(async (peer) => {
    await throughMetadata(peer);
    peer.raw(Buffer.from('0011' + 'cd'.repeat(17), 'hex'));
  }, {}, (auth) => auth.accept());
  failedWith(outcome, 'INVALID_AUTH');
});

test('accept: an Ack chunk with an unknown tag: DECODING_ERROR', async () => {
  const { outcome } = await againstScript(async (peer) => {
    await throughMetadata(peer);
    peer.sendChunk(Buffer.from([0x42]));
  }, {}, (auth) => auth.accept());
  failedWith(outcome, 'DECODING_ERROR');
});

test('accept: a bad binaryChunksSize is refused with INVALID_CHUNKS_SIZE before anything is sent', async () => {
  const { outcome, scripted } = await againstScript(async (peer) => {
    await throughMetadata(peer);
    return drain(peer);
  }, {}, async (auth) => {
    const error = await settle(auth.accept({ binaryChunksSize: 18 }));
    await auth.close();
    if (!error.ok) throw error.error;
  });
  failedWith(outcome, 'INVALID_CHUNKS_SIZE');
  assert.ok(scripted.ok);
  assert.equal(scripted.value, 0, 'no Ack was sent');
});

test('self connection message: a replayed server message then metadata under beforenm(server_pk, client_sk) gives DECIPHER_ERROR, never MYSELF', async () => {
  // Connection 1: learn the server's connection message.
  let serverMessage: Buffer | undefined;
  await againstScript(async (peer) => {
    peer.sendConnectionMessage(client);
    serverMessage = await peer.readConnectionMessage(client);
    peer.socket.destroy();
  });
  assert.ok(serverMessage);
  // Connection 2: replay it as our own.
  const { outcome } = await againstScript(async (peer) => {
    peer.sendAsConnectionMessage(serverMessage!);
    await peer.readConnectionMessage(client);
    peer.sendChunk(Buffer.alloc(0));
  }, { timeout: 2000 });
  assert.equal(outcome.ok, false);
  if (!outcome.ok) assert.ok(['DECIPHER_ERROR', 'NOT_ENOUGH_PROOF_OF_WORK'].includes(outcome.error.code ?? ''), outcome.error.code);
});

/** Reads whatever the peer still sends until it closes; returns the byte count. */
async function drain(peer: ScriptedPeer): Promise<number> {
  let total = 0;
  try {
    for (;;) total += (await peer.transport.readExact(1)).length;
  } catch {
    return total;
  }
}
