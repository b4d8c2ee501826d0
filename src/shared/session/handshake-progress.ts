/**
 * Which step of the handshake is waiting on the peer (protocol.md §11.1), so that a timeout says
 * what never came, and what that suggests: a peer that sends nothing at all is likely not a P2P
 * node (an HTTP server waits for us to speak first), while one that stops later is slow or stuck.
 *
 * One object follows a connection from the dial (if we dial) through the metadata exchange; the
 * pool's deadline asks it what was awaited when it fires, on whichever thread owns the socket.
 */
import type { SessionTransport } from './transport.ts';

export type HandshakeStep = 'connection message' | 'metadata';

export class HandshakeProgress {
  step: HandshakeStep = 'connection message';
  /** `host:port` while our TCP connection is being made; undefined for an accepted socket. */
  private readonly dialing: string | undefined;
  private transport: SessionTransport | undefined;

  constructor(dialing?: string) {
    this.dialing = dialing;
  }

  /** The socket is connected and the handshake reads from `transport` from now on. */
  attach(transport: SessionTransport): void {
    this.transport = transport;
  }

  /** Bytes received from the peer so far. */
  get received(): number {
    return this.transport?.stats.totalRecv ?? 0;
  }

  /** What the handshake was waiting for, for a TIMEOUT's message. */
  waitingFor(): string {
    if (!this.transport && this.dialing) return `no answer from ${this.dialing} to the TCP connection`;
    const { received } = this;
    if (this.step === 'metadata') return 'no metadata from the peer after its connection message (protocol.md §7)';
    if (received === 0) return 'no connection message from the peer — is this a P2P port?';
    return `the peer's connection message is incomplete (${received} bytes received) — is this a P2P port?`;
  }
}

/** The accept step's wait (protocol.md §8). */
export const WAITING_FOR_ACK = 'no Ack or Nack from the peer after the metadata exchange (protocol.md §8)';

/** The pool's policy step (protocol.md §11.2). */
export const WAITING_FOR_POLICY = 'the accept policy did not decide';

/**
 * Internal option of `authenticate` / `connect`: a progress object owned by the caller (the
 * pool's inline engine), so the pool's own deadline can say what was awaited. Not exported from
 * the package.
 */
export const HANDSHAKE_PROGRESS = Symbol('p2p-socket.handshake-progress');
