/**
 * Session establishment, steps 1–2 of protocol.md §11.1 (`authenticate`) and the Ack/Nack step of
 * §11.3, over a SessionTransport. Thread-agnostic: the inline engine and the shards run it.
 */
import { withChannelKey } from '../crypto/box.ts';
import { deriveNonces, randomMessageNonce } from '../crypto/nonce.ts';
import { peerIdBytesOf, peerIdToBase58 } from '../crypto/peer-id.ts';
import { checkProofOfWork, stampDifficulty } from '../crypto/pow.ts';
import {
  DecodingError,
  EncodingError,
  InvalidIncomingCiphertextSizeError,
  InvalidMessageSizeError,
  MyselfError,
  NotEnoughProofOfWorkError,
  P2pError,
} from '../errors.ts';
import type { Identity } from '../identity.ts';
import { decodeAck, encodeAck, type AckMessage } from '../wire/ack.ts';
import { CONNECTION_MESSAGE_MIN_BODY, decodeConnectionMessageBody, encodeConnectionMessage } from '../wire/connection-message.ts';
import type { MetadataConfig } from '../wire/metadata.ts';
import type { NetworkVersion } from '../wire/network-version.ts';
import { ChunkOpener, ChunkSealer, OPENING_NONCE, SEALING_NONCE, cipherState } from './chunk-cipher.ts';
import { HEADER_LENGTH, MAX_CHUNK_CONTENT, TAG_LENGTH } from './chunk-layout.ts';
import { encodeStream } from './encoded-message.ts';
import type { HandshakeProgress } from './handshake-progress.ts';
import { closedBeforeHandshake } from './closed-before-handshake.ts';
import type { SessionTransport } from './transport.ts';
import { publicBytes } from './long-lived-bytes.ts';

export interface HandshakeParams<Meta> {
  readonly identity: Identity;
  /** 32-byte big-endian target the peer's stamp must meet (`makePowTarget`, protocol.md §2.2). */
  readonly proofOfWorkTarget: Buffer;
  /** True on the side that accepted the TCP connection (the responder). */
  readonly incoming: boolean;
  /** The peer's address. */
  readonly remoteHost: string;
  /** Incoming: the peer's TCP source port. Outgoing: the port dialled (protocol.md §11.1 step 3). */
  readonly remotePort: number;
  /** Our listening port, announced in the connection message (0/undefined: none). */
  readonly advertisedPort?: number | undefined;
  readonly announcedVersion: NetworkVersion;
  readonly metadata: MetadataConfig<Meta>;
  /** Fixed message nonce, for reproducing the spec's vectors; fresh random bytes otherwise. */
  readonly messageNonce?: Buffer | undefined;
  /** The difficulty `proofOfWorkTarget` was made from, for NOT_ENOUGH_PROOF_OF_WORK's message. */
  readonly proofOfWorkDifficulty?: number | undefined;
  /** Told which step waits on the peer, for a timeout's message. */
  readonly progress?: HandshakeProgress | undefined;
  /**
   * The caller decodes the peer's metadata itself (a shard: the user's codec runs on main), so the
   * Myself check, which follows the decoding (protocol.md §7.3), is the caller's too: the result
   * says `myself` instead of MYSELF thrown here. Thrown here, a shard's MYSELF came before main's
   * DECODING_ERROR for undecodable metadata under our own key, where inline gave DECODING_ERROR.
   */
  readonly callerChecksMyself?: boolean | undefined;
}

/** What `authenticate` learns about the peer (protocol.md §11.1 step 9). */
export interface ConnectionInfo<Meta> {
  /** The peer's id as `id…` Base58Check text. */
  readonly peerId: string;
  readonly publicKey: Buffer;
  /** The version the peer announced (not yet negotiated: see `selectVersion`). */
  readonly announcedVersion: NetworkVersion;
  readonly incoming: boolean;
  /** The peer's point: incoming, its advertised port (if any); outgoing, the port dialled. */
  readonly idPoint: { readonly host: string; readonly port: number | undefined };
  readonly remoteSocketPort: number;
  readonly privateNode: boolean;
  readonly localMetadata: Meta;
  readonly remoteMetadata: Meta;
}

export interface HandshakeResult<Meta> {
  readonly info: ConnectionInfo<Meta>;
  /** The peer has our own peer id; only ever true with `callerChecksMyself`. */
  readonly myself: boolean;
  readonly sealer: ChunkSealer;
  readonly opener: ChunkOpener;
}

/** Step 1–2 of the handshake. Errors are typed (protocol.md §10.1); the caller closes the socket. */
export async function runHandshake<Meta>(transport: SessionTransport, params: HandshakeParams<Meta>): Promise<HandshakeResult<Meta>> {
  const channel = await openChannel(transport, params);
  const remotePlain = await readChunk(transport, channel.opener);
  const remoteMetadata = decodeWith(() => params.metadata.codec.decode(remotePlain));

  // Step 8: Myself, only after the metadata deciphered (protocol.md §7.3).
  if (channel.myself && !params.callerChecksMyself) throw new MyselfError(channel.idPoint.host, channel.idPoint.port);

  return {
    info: {
      peerId: channel.peerId,
      // A copy, made once the handshake succeeded: a view would keep the whole received read
      // alive (long-lived-bytes.ts).
      publicKey: publicBytes.copy(channel.publicKey),
      announcedVersion: channel.announcedVersion,
      incoming: params.incoming,
      idPoint: channel.idPoint,
      remoteSocketPort: params.remotePort,
      privateNode: params.metadata.privateNode(remoteMetadata),
      localMetadata: params.metadata.value,
      remoteMetadata,
    },
    myself: channel.myself,
    sealer: channel.sealer,
    opener: channel.opener,
  };
}

/** What steps 1–7 leave for the rest of the handshake: the peer, and the two cipher states. */
interface OpenChannel {
  readonly peerId: string;
  /** A view of the received connection message. */
  readonly publicKey: Buffer;
  readonly announcedVersion: NetworkVersion;
  readonly idPoint: { readonly host: string; readonly port: number | undefined };
  /** The peer has our own peer id (step 8 refuses it once its metadata deciphered). */
  readonly myself: boolean;
  readonly sealer: ChunkSealer;
  readonly opener: ChunkOpener;
}

/**
 * Steps 1–5 and the sending half of 6–7: connection messages both ways, checks, keys, nonces, our
 * metadata chunk. A function of its own so that what only these steps use (both connection
 * messages, their decoded fields, the digests) is garbage once it returns: an async function
 * keeps every local of its frame while it waits, so in one function they lived on through the
 * round trip of the metadata chunk and were copied by every scavenge in between, with up to
 * ~130 handshakes in flight during a burst (docs/architecture.md §4c).
 */
async function openChannel<Meta>(transport: SessionTransport, params: HandshakeParams<Meta>): Promise<OpenChannel> {
  const { identity, incoming } = params;
  // Step 1: our connection message goes out at once, before we read anything (protocol.md §0, §13.5.6).
  const sent = encodeConnectionMessage({
    port: params.advertisedPort === 0 ? undefined : params.advertisedPort,
    publicKey: identity.publicKey,
    proofOfWorkStamp: identity.proofOfWorkStamp,
    messageNonce: params.messageNonce ?? randomMessageNonce(),
    version: params.announcedVersion,
  });
  transport.write(sent);
  // Local metadata is encoded before reading, so an encoding failure costs no round trip.
  const localMetadataBytes = encodeMetadata(params.metadata);

  // Step 2: the peer's connection message, kept with its prefix for the nonces (protocol.md §5.1).
  // Too short to hold the fixed fields (0 included): refused before waiting for any of it. The
  // longest, 65535, is read whole (bounded by HANDSHAKE_INPUT_LIMIT) and left to the decoder.
  let received: Buffer;
  try {
    received = transport.takeFrame(CONNECTION_MESSAGE_MIN_BODY) ?? (await transport.readFrame(CONNECTION_MESSAGE_MIN_BODY));
  } catch (error) {
    // A listener refuses before authentication by closing without a byte: say so to the dialler.
    throw incoming ? error : closedBeforeHandshake(error, transport, `${params.remoteHost}:${params.remotePort}`);
  }
  const bodyLength = received.readUInt16BE(0);
  if (bodyLength < CONNECTION_MESSAGE_MIN_BODY) {
    throw new DecodingError('NOT_ENOUGH_DATA', `connection message of ${bodyLength} bytes, at least ${CONNECTION_MESSAGE_MIN_BODY} needed`);
  }
  const body = received.subarray(HEADER_LENGTH);
  const message = decodeConnectionMessageBody(body);
  if (params.progress) params.progress.step = 'metadata';

  // Steps 3–4: who the peer is, then its proof of work, before any encrypted byte.
  const idPoint = { host: params.remoteHost, port: incoming ? message.port : params.remotePort };
  const peerIdBytes = peerIdBytesOf(message.publicKey);
  const peerId = peerIdToBase58(peerIdBytes);
  if (!checkProofOfWork(message.publicKey, message.proofOfWorkStamp, params.proofOfWorkTarget)) {
    throw new NotEnoughProofOfWorkError(peerId, params.proofOfWorkDifficulty, stampDifficulty(message.publicKey, message.proofOfWorkStamp));
  }

  // Step 5: channel key (INVALID_PUBLIC_KEY for a low-order key, before any send) and nonces.
  const nonces = deriveNonces(sent, received, incoming);
  // The key is copied into the connection's cipher state straight from the scratch it is made in.
  const state = withChannelKey(identity.secretKey, message.publicKey, (key) => cipherState(key, nonces.local, nonces.remote));
  const sealer = new ChunkSealer(state, SEALING_NONCE);
  const opener = new ChunkOpener(state, OPENING_NONCE);

  // Steps 6–7: metadata, exactly one chunk each way (protocol.md §7.1); the peer's is read by the caller.
  transport.write(sealer.seal(encodeStream(localMetadataBytes, MAX_CHUNK_CONTENT)));
  return {
    peerId,
    publicKey: message.publicKey,
    announcedVersion: message.version,
    idPoint,
    myself: peerIdBytes.equals(identity.peerIdBytes),
    sealer,
    opener,
  };
}

/** Reads and deciphers exactly one chunk (protocol.md §6.3). */
export async function readChunk(transport: SessionTransport, opener: ChunkOpener): Promise<Buffer> {
  const chunk = transport.takeFrame(TAG_LENGTH) ?? (await transport.readFrame(TAG_LENGTH));
  const length = chunk.readUInt16BE(0);
  if (length < TAG_LENGTH) throw new InvalidIncomingCiphertextSizeError(length);
  return opener.open(chunk.subarray(HEADER_LENGTH));
}

/** Sends our Ack or Nack as chunk #1 (protocol.md §8). */
export function sendAck(transport: SessionTransport, sealer: ChunkSealer, message: AckMessage): void {
  transport.write(sealer.seal(encodeStream(encodeAck(message), MAX_CHUNK_CONTENT)));
}

/** Reads the peer's chunk #1 and decodes it (exact length, protocol.md §8.1). */
export async function readAck(transport: SessionTransport, opener: ChunkOpener): Promise<AckMessage> {
  const plain = await readChunk(transport, opener);
  return decodeAck(plain);
}

function encodeMetadata<Meta>(config: MetadataConfig<Meta>): Buffer {
  let bytes: Buffer;
  try {
    bytes = config.codec.encode(config.value);
  } catch (error) {
    if (error instanceof P2pError) throw error;
    throw new EncodingError(`metadata: ${String(error)}`, { cause: error });
  }
  if (bytes.length > MAX_CHUNK_CONTENT) throw new InvalidMessageSizeError(bytes.length, MAX_CHUNK_CONTENT);
  return bytes;
}

/** Runs a user decoder; anything it throws that is not already typed becomes DECODING_ERROR. */
export function decodeWith<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    throw asDecodingError(error);
  }
}

/** What a user decoder's throw becomes: a P2pError as it is, anything else DECODING_ERROR. */
export function asDecodingError(error: unknown): P2pError {
  return error instanceof P2pError ? error : new DecodingError('USER_FUNCTION', String(error), { cause: error });
}
