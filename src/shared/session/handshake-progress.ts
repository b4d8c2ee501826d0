/**
 * Which step of the handshake is waiting on the peer (protocol.md §11.1), so that a timeout says
 * what never came, and what that suggests: a peer that sends nothing at all is likely not a P2P
 * node (an HTTP server waits for us to speak first), while one that stops later is slow or stuck.
 */
import type { SessionTransport } from './transport.ts';

export type HandshakeStep = 'connection message' | 'metadata';

export class HandshakeProgress {
  step: HandshakeStep = 'connection message';
  private readonly transport: SessionTransport;

  constructor(transport: SessionTransport) {
    this.transport = transport;
  }

  /** What the handshake was waiting for, for a TIMEOUT's message. */
  waitingFor(): string {
    const received = this.transport.stats.totalRecv;
    if (this.step === 'metadata') return "no metadata from the peer after its connection message (protocol.md §7)";
    if (received === 0) return 'no connection message from the peer — is this a P2P port?';
    return `the peer's connection message is incomplete (${received} bytes received) — is this a P2P port?`;
  }
}

/** The accept step's wait (protocol.md §8). */
export const WAITING_FOR_ACK = 'no Ack or Nack from the peer after the metadata exchange (protocol.md §8)';
