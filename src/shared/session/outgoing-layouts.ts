/**
 * The byte engine's outgoing queue (byte-engine.ts): encoded layouts waiting for the socket to
 * take more, sealed only as they are written, so a queued message costs its layout and nothing
 * else. Its caller bounds what it queues (the connection contract, message-queues.ts, or a
 * shard's in-flight credit); this queue only orders and reports.
 */
import type { ChunkSealer } from './chunk-cipher.ts';
import type { EncodedMessage } from './encoded-message.ts';
import type { DrainListener, SessionTransport } from './transport.ts';

interface OutgoingEntry {
  readonly message: EncodedMessage;
  /** The layout ends its message (a shard's ring records may carry one in several parts). */
  readonly last: boolean;
}

/** Told of each layout `send` handed to the socket (direct-link.ts, a shard's connection). */
export interface WrittenListener {
  /** `bytes` of layout written; `last`: they ended a message. */
  messageWritten(bytes: number, last: boolean): void;
}

export class OutgoingLayouts implements DrainListener {
  protected readonly transport: SessionTransport;
  private readonly sealer: ChunkSealer;
  /** Layouts waiting for the socket; made on the first one that waits and kept (an idle connection keeps none). */
  private entries: OutgoingEntry[] | undefined;
  private drainWaiters: Array<() => void> | undefined;
  /** No more messages are taken (a close, or the stream's end). */
  private closed = false;
  /** Messages (and their encoded bytes) dropped by a close or the stream's end. */
  droppedMessages = 0;
  droppedBytes = 0;
  /** See `send`. */
  writtenListener: WrittenListener | undefined;

  constructor(transport: SessionTransport, sealer: ChunkSealer) {
    this.transport = transport;
    this.sealer = sealer;
    transport.onDrain(this);
  }

  /**
   * Sends a message its caller already accepted (and consumed) under its own bound: sealed and
   * written at once when nothing is queued and the socket takes it (no entry then, only the
   * listener's call: a W2 echo writes one message per turn), else queued; the `writtenListener`
   * hears of it once it is handed to the socket. Dropped when the outgoing side is closed (the
   * caller learns of the end separately). `last`: the layout ends its message (false for a part
   * of one that a shard received in several ring records).
   */
  send(message: EncodedMessage, last = true): void {
    if (this.closed) return;
    const entries = this.entries;
    if ((entries === undefined || entries.length === 0) && !this.transport.congested) {
      this.seal(message);
      this.writtenListener?.messageWritten(message.buffer.length, last);
    } else (this.entries ??= []).push({ message, last });
  }

  /** Seals and writes; a shared layout is sealed into a copy of its own, which is recyclable. */
  private seal(message: EncodedMessage): void {
    this.transport.write(this.sealer.seal(message), message.recyclable || message.shared);
  }

  private write(entry: OutgoingEntry): void {
    this.seal(entry.message);
    this.writtenListener?.messageWritten(entry.message.buffer.length, entry.last);
  }

  /** DrainListener: send queued messages until the socket is congested again. */
  socketWritable(): void {
    const entries = this.entries;
    if (entries === undefined) return;
    let sent = 0;
    while (sent < entries.length && !this.transport.congested) this.write(entries[sent++]!);
    if (sent > 0) entries.splice(0, sent);
    if (entries.length === 0 && this.drainWaiters !== undefined) {
      for (const resolve of this.drainWaiters.splice(0)) resolve();
    }
  }

  /** Takes no more messages and resolves once those already queued are handed to the socket (or dropped). */
  async finish(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.entries !== undefined && this.entries.length > 0) await new Promise<void>((resolve) => (this.drainWaiters ??= []).push(resolve));
  }

  /** Drops what is queued, counting it in `droppedMessages` and `droppedBytes`. */
  drop(): void {
    const entries = this.entries;
    if (this.closed && (entries === undefined || entries.length === 0)) return;
    this.closed = true;
    if (entries !== undefined) {
      this.droppedMessages += entries.length;
      for (const entry of entries.splice(0)) this.droppedBytes += entry.message.buffer.length;
    }
    if (this.drainWaiters !== undefined) for (const resolve of this.drainWaiters.splice(0)) resolve();
  }
}
