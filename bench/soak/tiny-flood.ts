/**
 * The tiny-message attack: a peer that completes the handshake, then sends maximal chunks packed
 * with empty or tiny messages (16,379 empty ones per chunk: a `u32` zero prefix each) for as long
 * as the socket takes them, to a server that never reads. What the server may hold for it is its incoming
 * bound (`incomingMessageQueueSize`), which counts each message as its size plus
 * INCOMING_ENTRY_COST; the attack checks that this is what the queued messages really cost.
 * Used by `npm run soak -- --tiny-flood=N` and by test/tiny-message-flood-memory.test.ts.
 *
 * The handshake is the initiator's, step by step from the library's wire pieces, with empty
 * metadata (protocol.md §3–§8); the peer's chunks are sealed as any chunk is (protocol.md §9).
 */
import { connect as netConnect, type Socket } from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { channelKey } from '../../src/shared/crypto/box.ts';
import { deriveNonces } from '../../src/shared/crypto/nonce.ts';
import { generateKeyPair, identityFromKeys } from '../../src/shared/identity.ts';
import { ChunkOpener, ChunkSealer } from '../../src/shared/session/chunk-cipher.ts';
import { MAX_CHUNK_CONTENT } from '../../src/shared/session/chunk-layout.ts';
import { encodeStream } from '../../src/shared/session/encoded-message.ts';
import { readChunk } from '../../src/shared/session/handshake.ts';
import { SessionTransport } from '../../src/shared/session/transport.ts';
import { encodeConnectionMessage } from '../../src/shared/wire/connection-message.ts';
import type { NetworkVersion } from '../../src/shared/wire/network-version.ts';

/** Messages of `bodySize` bytes in one maximal chunk: each is a 4-byte length prefix and its body. */
export function messagesPerChunk(bodySize: number): number {
  return Math.floor(MAX_CHUNK_CONTENT / (4 + bodySize));
}

/** A flooding peer once established. */
export interface TinyFlooder {
  readonly socket: Socket;
  /** Messages sent so far. */
  readonly sent: () => number;
  /** Sends chunks of messages while the socket takes them, until `stop`. */
  readonly stop: () => void;
}

function seal(sealer: ChunkSealer, plain: Buffer): Buffer {
  const encoded = encodeStream(plain, Math.max(MAX_CHUNK_CONTENT, plain.length));
  encoded.consume();
  return Buffer.from(sealer.seal(encoded));
}

/**
 * Dials 127.0.0.1:`port` as a fresh identity (proof-of-work difficulty 0: the server must accept
 * that), completes the handshake announcing `version`, and starts flooding with messages of
 * `bodySize` bytes (0: empty).
 */
export async function startTinyFlood(port: number, version: NetworkVersion, bodySize = 0): Promise<TinyFlooder> {
  const socket = netConnect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  const { secretKey } = generateKeyPair();
  const identity = identityFromKeys(secretKey, randomBytes(24));
  const transport = new SessionTransport(socket, 1 << 20);
  const ours = encodeConnectionMessage({ port: undefined, publicKey: identity.publicKey, proofOfWorkStamp: identity.proofOfWorkStamp, messageNonce: randomBytes(24), version });
  transport.write(ours);
  const prefix = await transport.readExact(2);
  const body = await transport.readExact(prefix.readUInt16BE(0));
  const key = channelKey(identity.secretKey, Buffer.from(body.subarray(2, 34)));
  const nonces = deriveNonces(ours, Buffer.concat([prefix, body]), false);
  const sealer = new ChunkSealer(key, nonces.local);
  const opener = new ChunkOpener(key, nonces.remote);
  transport.write(seal(sealer, Buffer.alloc(0))); // empty metadata
  await readChunk(transport, opener);
  transport.write(seal(sealer, Buffer.from([0]))); // Ack
  // From here on nothing is read: the server's Ack and anything after it stay in the kernel.
  transport.onInput = undefined;
  socket.pause();

  const perChunk = messagesPerChunk(bodySize);
  const packed = Buffer.alloc(perChunk * (4 + bodySize));
  for (let i = 0; i < perChunk; i++) packed.writeUInt32BE(bodySize, i * (4 + bodySize));
  let sent = 0;
  let stopped = false;
  const pump = (): void => {
    while (!stopped && !socket.destroyed) {
      const more = socket.write(seal(sealer, packed));
      sent += perChunk;
      if (!more) return;
    }
  };
  socket.on('drain', pump);
  pump();
  return {
    socket,
    sent: () => sent,
    stop: () => {
      stopped = true;
    },
  };
}

/**
 * `npm run soak -- --tiny-flood=N`: N flooding peers beside the soak's honest connections, on
 * the soak's chain. The soak server echoes what it reads; an echo to a peer that never reads
 * fills that connection's outgoing queue, after which the server reads no more of it: its
 * incoming queue fills and stays full, which the soak's growth check then covers.
 */
export async function startTinyFloods(count: number, port: number, chainName: string, bodySize = 0): Promise<{ sent: () => number; stop: () => void }> {
  const version: NetworkVersion = { chainName, distributedDbVersion: 1, p2pVersion: 0 };
  const flooders = await Promise.all(Array.from({ length: count }, () => startTinyFlood(port, version, bodySize)));
  return {
    sent: () => flooders.reduce((sum, flooder) => sum + flooder.sent(), 0),
    stop: () => {
      for (const flooder of flooders) {
        flooder.stop();
        flooder.socket.destroy();
      }
    },
  };
}
