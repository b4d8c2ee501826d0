/**
 * A connection whose handshake succeeded (both connection messages and both metadata chunks
 * exchanged) but that is not yet accepted: the caller applies its policy to `info`, then calls
 * `accept` or `nack` (protocol.md §11.2–§11.3). A distinct type from `Connection`, as in OCaml.
 */
import { ConnectionClosedError, errorFromAbortReason } from '../shared/errors.ts';
import { MAX_CHUNK_CONTENT, checkBinaryChunksSize } from '../shared/session/chunk-layout.ts';
import type { ConnectionInfo } from '../shared/session/handshake.ts';
import type { NetworkVersion } from '../shared/wire/network-version.ts';
import type { Point } from '../shared/wire/point.ts';
import { bytesCodec, type MessageCodec } from './codecs.ts';
import { Connection, type AcceptedInfo } from './connection.ts';
import { sharedVersion } from './shared-versions.ts';
import { withDeadline } from '../shared/session/deadline.ts';
import { WAITING_FOR_ACK } from '../shared/session/handshake-progress.ts';
import { DEFAULT_INCOMING_QUEUE_SIZE, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MESSAGE_TIMEOUT, DEFAULT_OUTGOING_QUEUE_SIZE } from './options.ts';
import type { PendingMessageBudget } from '../shared/session/pending-message-budget.ts';
import type { HandshakeBackend } from './session-backend.ts';
import { OPTIONS_CHECKED, validateAcceptOptions } from './validate-options.ts';

export interface AcceptOptions<Msg> {
  /** How messages are typed; default: raw bytes. */
  readonly codec?: MessageCodec<Msg>;
  /** Bytes of received messages held before reading pauses (default 8 MiB). */
  readonly incomingMessageQueueSize?: number;
  /** Bytes of messages queued for sending before `write` waits (default 8 MiB). */
  readonly outgoingMessageQueueSize?: number;
  /** Total wire size of the chunks we write, 19..65535 (default 65535, protocol.md §6.4). */
  readonly binaryChunksSize?: number;
  /** Largest incoming message (prefix + body), bytes (default 100 MiB). */
  readonly maxMessageSize?: number;
  /** Milliseconds an unfinished incoming message may go without a new byte before TIMEOUT closes the connection (default 60 s). */
  readonly messageTimeout?: number;
  /**
   * Shared bound on bytes held by unfinished incoming messages, for several connections: a Pool
   * passes its own (`maxPendingMessageBytes`). None: each connection is bounded by maxMessageSize only.
   * @internal
   */
  readonly pendingMessageBudget?: PendingMessageBudget;
  readonly signal?: AbortSignal;
  /** Milliseconds to wait for the peer's Ack or Nack. */
  readonly timeout?: number;
  /** The version agreed, for `info.negotiatedVersion` (a pool passes what its policy selected). */
  readonly negotiatedVersion?: NetworkVersion;
  /** @internal a pool's accept: options it checked when it was built (validate-options.ts). */
  readonly [OPTIONS_CHECKED]?: true;
}

type State = 'authenticated' | 'accepting' | 'done';

export class AuthenticatedConnection<Meta> {
  readonly info: ConnectionInfo<Meta>;
  private readonly backend: HandshakeBackend;
  /** The version we announced. */
  private readonly localVersion: NetworkVersion;
  private state: State = 'authenticated';

  /** @internal built by `authenticate` or a pool */
  constructor(info: ConnectionInfo<Meta>, backend: HandshakeBackend, localVersion: NetworkVersion) {
    this.info = info;
    this.backend = backend;
    this.localVersion = localVersion;
  }

  /**
   * Sends our Ack and reads the peer's. Ack: the established connection. Otherwise the socket is
   * closed and the promise rejects with REJECTED_BY_NACK (motive, alternative points),
   * REJECTED_SOCKET_CONNECTION (the peer closed first), INVALID_AUTH (its chunk did not
   * decipher), DECODING_ERROR, INVALID_CHUNKS_SIZE (bad option, nothing sent), TIMEOUT or ABORTED.
   */
  async accept<Msg = Uint8Array>(options: AcceptOptions<Msg> = {}): Promise<Connection<Msg, Meta>> {
    if (!options[OPTIONS_CHECKED]) validateAcceptOptions(options);
    const chunkContentSize = options.binaryChunksSize === undefined ? MAX_CHUNK_CONTENT : checkBinaryChunksSize(options.binaryChunksSize);
    this.claim();
    if (options.signal?.aborted) {
      // Before the Ack: once written, the close would still deliver it and the peer would take
      // the connection as accepted (test: already-aborted-accept).
      void this.close().catch(() => undefined);
      throw errorFromAbortReason(options.signal.reason);
    }
    const maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    const session = await this.backend.accept(
      {
        incomingQueueSize: options.incomingMessageQueueSize ?? DEFAULT_INCOMING_QUEUE_SIZE,
        outgoingQueueSize: options.outgoingMessageQueueSize ?? DEFAULT_OUTGOING_QUEUE_SIZE,
        maxMessageSize,
        messageTimeout: options.messageTimeout ?? DEFAULT_MESSAGE_TIMEOUT,
        pendingBudget: options.pendingMessageBudget,
      },
      (operation) => withDeadline(operation, { ...options, waitingFor: () => WAITING_FOR_ACK }, () => void this.backend.close()),
    );
    const negotiatedVersion = options.negotiatedVersion ?? lowerVersion(this.localVersion, this.info.announcedVersion);
    return new Connection<Msg, Meta>(acceptedInfo(this.info, negotiatedVersion), session, (options.codec ?? bytesCodec) as MessageCodec<Msg>, chunkContentSize, maxMessageSize);
  }

  /**
   * Refuses the connection: sends Nack with `motive` and up to 100 alternative points if the peer
   * announced p2p_version ≥ 1, else Nack_v_0 (protocol.md §8.5); then flushes and closes the socket.
   */
  async nack(motive = 0, alternativePoints: readonly Point[] = []): Promise<void> {
    this.claim();
    await this.backend.nack(motive, alternativePoints);
  }

  /** Closes without an answer (banned peer, private mode: protocol.md §11.2 sends no Nack). */
  close(): Promise<void> {
    this.state = 'done';
    return this.backend.close();
  }

  private claim(): void {
    if (this.state !== 'authenticated') throw new ConnectionClosedError('connection already accepted, nacked or closed');
    this.state = 'accepting';
  }
}

/** Our chain with the lower of both sides' versions: what `Network_version.select` gives when each side supports every version up to the one it announced (protocol.md §11.2). */
function lowerVersion(local: NetworkVersion, remote: NetworkVersion): NetworkVersion {
  return {
    chainName: local.chainName,
    distributedDbVersion: Math.min(local.distributedDbVersion, remote.distributedDbVersion),
    p2pVersion: Math.min(local.p2pVersion, remote.p2pVersion),
  };
}

/**
 * The info an accepted connection keeps: every field written out, so the record holds them all in
 * the object (a spread left some in a separate store), and the versions shared (shared-versions.ts).
 */
function acceptedInfo<Meta>(info: ConnectionInfo<Meta>, negotiatedVersion: NetworkVersion): AcceptedInfo<Meta> {
  return {
    peerId: info.peerId,
    publicKey: info.publicKey,
    announcedVersion: sharedVersion(info.announcedVersion),
    incoming: info.incoming,
    idPoint: info.idPoint,
    remoteSocketPort: info.remoteSocketPort,
    privateNode: info.privateNode,
    localMetadata: info.localMetadata,
    remoteMetadata: info.remoteMetadata,
    negotiatedVersion: sharedVersion(negotiatedVersion),
  };
}
