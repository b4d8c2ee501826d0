/**
 * Echo and send modes on one connection: keep `inFlight` messages outstanding, match each echo to
 * the oldest one (echoes come back in order, one stream per connection) and check it, or, one
 * way, count a message done when the connection hands it to the socket.
 */
import { performance } from 'node:perf_hooks';
import { P2pError } from '../../main/index.ts';
import { countCode, countFailure, type GeneratorCounters } from './generator-counters.ts';
import { MessageBodies, type Conn, type Outstanding, type Peer } from './generator-peer.ts';
import type { GeneratorSpec } from './generator-spec.ts';

/** What the flow needs from its generator. */
export interface MessageFlowHost {
  readonly counters: GeneratorCounters;
  /** The size of the next message (message-sizes.ts). */
  pickSize(): number;
  /** Records a message's latency. */
  complete(entry: Outstanding): void;
  running(): boolean;
  /** Messages flow (set at start with `ramp`, after the ramp without). */
  trafficOn(): boolean;
  /** The generator is closing its connections: their errors are not counted. */
  stopping(): boolean;
}

export class MessageFlow {
  private readonly spec: GeneratorSpec;
  private readonly host: MessageFlowHost;
  private readonly bodies = new MessageBodies();

  constructor(spec: GeneratorSpec, host: MessageFlowHost) {
    this.spec = spec;
    this.host = host;
  }

  /** Reads and matches replies until the connection ends. */
  async readLoop(peer: Peer, conn: Conn): Promise<void> {
    try {
      for (;;) {
        let received = await conn.read();
        for (;;) {
          this.onMessage(peer, received.message);
          const next = conn.readNow();
          if (next === undefined) break;
          received = next;
        }
      }
    } catch (error) {
      // Our own close at the end is the normal way out; anything else ended it under load.
      if (!this.host.stopping()) countFailure(this.host.counters.errors, error);
    } finally {
      this.host.counters.connectionsUp--;
    }
  }

  private onMessage(peer: Peer, message: Uint8Array): void {
    this.host.counters.messagesReceived++;
    this.host.counters.bytesReceived += message.length;
    if (this.spec.mode !== 'echo') return;
    const head = peer.outstanding.shift();
    if (head === undefined) {
      countCode(this.host.counters.errors, 'UNEXPECTED_MESSAGE');
      return;
    }
    this.host.counters.inFlight--;
    if (message.length !== head.size || (head.size >= 4 && Buffer.from(message.buffer, message.byteOffset, 4).readUInt32BE(0) !== head.seq >>> 0)) {
      countCode(this.host.counters.errors, 'ECHO_MISMATCH');
    }
    this.host.complete(head);
    this.fill(peer);
  }

  /** Sends while the peer has room: closed loop "now", open loop from its backlog. */
  fill(peer: Peer): void {
    const conn = peer.conn;
    if (conn === undefined || conn.closed) return;
    const open = this.spec.rate !== undefined;
    while (this.host.running() && this.host.trafficOn() && peer.outstanding.length < this.spec.inFlight) {
      const due = open ? peer.backlog.shift() : performance.now();
      if (due === undefined) return;
      if (!this.send(peer, conn, due)) return;
    }
  }

  private send(peer: Peer, conn: Conn, due: number): boolean {
    const size = this.host.pickSize();
    const body = this.bodies.get(size);
    const seq = peer.seq++;
    // The echo is checked against this number (the first 4 bytes, when there are 4).
    if (size >= 4) body.writeUInt32BE(seq >>> 0, 0);
    const entry: Outstanding = { due, sent: performance.now(), size, seq };
    try {
      if (this.spec.mode === 'send') {
        // The body is encoded (copied) before writeSync returns; completions come in order.
        conn.writeSync(body).then(
          () => this.onWritten(peer),
          (error: unknown) => this.onWriteError(error),
        );
      } else if (!conn.writeNow(body)) {
        conn.write(body).catch((error: unknown) => this.onWriteError(error));
      }
    } catch (error) {
      this.onWriteError(error);
      return false;
    }
    peer.outstanding.push(entry);
    this.host.counters.messagesSent++;
    this.host.counters.bytesSent += size;
    this.host.counters.inFlight++;
    return true;
  }

  private onWritten(peer: Peer): void {
    const head = peer.outstanding.shift();
    if (head === undefined) return;
    this.host.counters.inFlight--;
    this.host.complete(head);
    // An uncongested socket settles writeSync at once, in a microtask: refilling from here would
    // chain microtasks without end and starve timers, dials and reads. Refill on the next turn.
    if (peer.refillScheduled) return;
    peer.refillScheduled = true;
    setImmediate(() => {
      peer.refillScheduled = false;
      this.fill(peer);
    });
  }

  private onWriteError(error: unknown): void {
    // A closed connection is counted once, by its read loop.
    const closed = error instanceof P2pError && error.code === 'CONNECTION_CLOSED';
    if (!this.host.stopping() && !closed) countFailure(this.host.counters.errors, error);
  }
}
