/**
 * A hand-driven peer for fault tests: it speaks the protocol step by step through the library's
 * own wire pieces, so a test can stop, garble or truncate at any point.
 */
import type { Socket } from 'node:net';
import { channelKey } from '../../src/shared/crypto/box.ts';
import { deriveNonces } from '../../src/shared/crypto/nonce.ts';
import type { Identity } from '../../src/shared/identity.ts';
import { ChunkOpener, ChunkSealer } from '../../src/shared/session/chunk-cipher.ts';
import { MAX_CHUNK_CONTENT } from '../../src/shared/session/chunk-layout.ts';
import { encodeStream } from '../../src/shared/session/encoded-message.ts';
import { readChunk } from '../../src/shared/session/handshake.ts';
import { SessionTransport } from '../../src/shared/session/transport.ts';
import { encodeConnectionMessage } from '../../src/shared/wire/connection-message.ts';
import type { NetworkVersion } from '../../src/shared/wire/network-version.ts';
import { rawClient, TEST_VERSION } from './fixtures.ts';

export class ScriptedPeer {
  readonly transport: SessionTransport;
  readonly socket: Socket;
  sealer: ChunkSealer | undefined;
  opener: ChunkOpener | undefined;
  private sent: Buffer | undefined;

  constructor(socket: Socket) {
    this.socket = socket;
    this.transport = new SessionTransport(socket, 1 << 20);
  }

  /** Sends our connection message, optionally with a different public key than the identity's. */
  sendConnectionMessage(identity: Identity, options: { publicKey?: Buffer; version?: NetworkVersion } = {}): Buffer {
    return this.sendAsConnectionMessage(
      encodeConnectionMessage({
        port: undefined,
        publicKey: options.publicKey ?? identity.publicKey,
        proofOfWorkStamp: identity.proofOfWorkStamp,
        messageNonce: Buffer.alloc(24, 7),
        version: options.version ?? TEST_VERSION,
      }),
    );
  }

  /** Sends arbitrary bytes as our connection message (they feed the nonce derivation). */
  sendAsConnectionMessage(bytes: Buffer): Buffer {
    this.sent = bytes;
    this.raw(bytes);
    return bytes;
  }

  /** Reads the peer's connection message and derives the session keys as the initiator. */
  async readConnectionMessage(identity: Identity, incoming = false): Promise<Buffer> {
    const prefix = await this.transport.readExact(2);
    const body = await this.transport.readExact(prefix.readUInt16BE(0));
    const received = Buffer.concat([prefix, body]);
    const peerKey = body.subarray(2, 34);
    const key = channelKey(identity.secretKey, Buffer.from(peerKey));
    const nonces = deriveNonces(this.sent!, received, incoming);
    this.sealer = new ChunkSealer(key, nonces.local);
    this.opener = new ChunkOpener(key, nonces.remote);
    return received;
  }

  /** Encrypts `plain` as one chunk and sends it. */
  sendChunk(plain: Buffer): void {
    const encoded = encodeStream(plain, Math.max(MAX_CHUNK_CONTENT, plain.length));
    encoded.consume();
    this.raw(this.sealer!.seal(encoded));
  }

  readChunk(): Promise<Buffer> {
    return readChunk(this.transport, this.opener!);
  }

  raw(bytes: Buffer): void {
    this.transport.write(bytes);
  }

  /**
   * Handshake as the initiator with empty metadata, through sending our Ack. The other side's
   * Ack comes only once it accepts, so it is not awaited here (it stays unread).
   */
  async establish(identity: Identity): Promise<void> {
    this.sendConnectionMessage(identity);
    await this.readConnectionMessage(identity);
    this.sendChunk(Buffer.alloc(0));
    await this.readChunk();
    this.sendChunk(Buffer.from([0]));
  }
}

/**
 * A raw client on 127.0.0.1:`port` that has run the whole handshake as `identity` (the server's
 * side is established, or about to be); socket errors are the test's to observe, not thrown.
 */
export async function establishedPeer(port: number, identity: Identity): Promise<ScriptedPeer> {
  const socket = await rawClient(port);
  socket.on('error', () => undefined);
  const peer = new ScriptedPeer(socket);
  await peer.establish(identity);
  return peer;
}

/** `u32 BE length ‖ body`: one message of the stream. */
export function framed(body: Buffer): Buffer {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(body.length);
  return Buffer.concat([prefix, body]);
}
