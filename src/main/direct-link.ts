/**
 * The inline side of the seam (session-link.ts): the connection's byte engine runs on this
 * thread (`workers: 0`, and plain `authenticate`), and the link calls it directly. It reads the
 * engine as a shard does (worker/shard-connection.ts): messages go up to the queues while the
 * reader's credit lasts, then wait in the engine, which stops reading the socket once its own
 * small queue is full; writes are sealed at once when the socket takes them, and reported written
 * as they reach it.
 */
import type { P2pError } from '../shared/errors.ts';
import { sharedLayout, type EncodedMessage } from '../shared/session/encoded-message.ts';
import type { ByteEngine, EngineReader } from '../shared/session/byte-engine.ts';
import { bodyPool } from '../shared/session/body-pool.ts';
import type { WrittenListener } from '../shared/session/outgoing-layouts.ts';
import type { FramedMessage } from '../shared/session/message-framer.ts';
import { INCOMING_ENTRY_COST } from '../shared/session/queue-costs.ts';
import { endError } from '../shared/session/session-end.ts';
import type { Stat } from '../shared/session/traffic-stats.ts';
import type { BroadcastBatch } from './broadcast-batch.ts';
import type { LinkedQueues, SessionLink } from './session-link.ts';

export class DirectLink implements SessionLink, WrittenListener, EngineReader {
  private readonly engine: ByteEngine;
  private queues!: LinkedQueues;
  /** The reader's bound: bytes delivered to the queues and not yet given back as credit. */
  private readonly creditLimit: number;
  private unacked = 0;
  private ended = false;
  private closing = false;

  constructor(engine: ByteEngine, creditLimit: number) {
    this.engine = engine;
    this.creditLimit = creditLimit;
  }

  attach(queues: LinkedQueues): void {
    this.queues = queues;
    const engine = this.engine;
    engine.writtenListener = this;
    engine.reader = this;
    // What arrived with the peer's Ack is already framed in the engine's queue.
    this.drain();
  }

  // ------------------------------------------------------------ up

  /** EngineReader: straight from the framer while nothing waits in the engine, one call and no queue entry. */
  sink(message: FramedMessage): boolean {
    if (this.unacked >= this.creditLimit) return false;
    this.unacked += message.size + INCOMING_ENTRY_COST;
    this.queues.onMessage(message);
    return true;
  }

  /** EngineReader: a message or the end waits in the engine. */
  onReadable(): void {
    this.drain();
  }

  /**
   * Moves queued messages up while the credit lasts. Once the peer has gone, everything left
   * moves at once and the end follows: a peer that leaves is reported whatever the credit.
   */
  private drain(): void {
    if (this.ended || this.closing) return;
    const engine = this.engine;
    const gone = engine.incomingEnded;
    while (gone || this.unacked < this.creditLimit) {
      if (engine.drained) {
        this.end(endError(engine.failure));
        return;
      }
      let message;
      try {
        message = engine.readNow();
      } catch (error) {
        this.end(error as P2pError);
        return;
      }
      if (!message) break;
      this.unacked += message.size + INCOMING_ENTRY_COST;
      this.queues.onMessage(message);
    }
  }

  /** Inline layouts are whole messages (`send`), so every report is one. */
  messageWritten(bytes: number): void {
    this.queues.onWritten(1, bytes);
  }

  private end(error: P2pError | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.queues.onEnded(error);
  }

  // ------------------------------------------------------------ down

  send(message: EncodedMessage): void {
    this.engine.send(message);
  }

  /**
   * Inline connections seal the batch's one plaintext layout into a pooled copy each, when their
   * turn to write comes (encoded-message.ts `shared`); nothing writes into the batch's layout.
   */
  joinBroadcast(_batch: BroadcastBatch<unknown>, layout: EncodedMessage): void {
    this.engine.send(sharedLayout(layout));
  }

  credit(bytes: number): void {
    this.unacked -= bytes;
    this.drain();
  }

  close(wait: boolean): void {
    if (!this.closing) {
      this.closing = true;
      this.engine.reader = undefined;
    }
    void this.engine.close(wait).then(() => this.end(undefined));
  }

  stat(): Stat {
    return this.engine.stat();
  }

  /** The framer on this thread assembles later bodies of that size into it (body-pool.ts). */
  takeBack(memory: ArrayBuffer): void {
    bodyPool.give(Buffer.from(memory));
  }
}
