/**
 * The outgoing half of the connection contract (message-queues.ts), for both modes: what the
 * application has written and the link has not yet handed to the socket, counted against
 * `outgoingQueueSize`, with the writers that wait for room and the `writeSync` callers that wait
 * for the socket. A message counts, as its layout plus OUTGOING_ENTRY_COST (and
 * SYNC_WRITE_EXTRA_COST for `writeSync`), from the moment it is accepted until the link reports
 * it written: `write` waits and `writeNow` refuses past the bound (Lwt_pipe's rule: an empty
 * queue takes any message, protocol.md §9.5).
 */
import { ConnectionClosedError, EncodedMessageConsumedError } from '../shared/errors.ts';
import { abortable, removeItem, type Settlers } from '../shared/session/abortable.ts';
import type { EncodedMessage } from '../shared/session/encoded-message.ts';
import { OUTGOING_ENTRY_COST, SYNC_WRITE_EXTRA_COST } from '../shared/session/queue-costs.ts';
import { RoomWaiters } from '../shared/session/room-waiters.ts';
import type { CloseOutcome } from '../shared/session/session-end.ts';
import type { BroadcastBatch } from './broadcast-batch.ts';
import type { SessionLink } from './session-link.ts';

interface BlockedWriter {
  readonly message: EncodedMessage;
  readonly cost: number;
  readonly settlers: Settlers<void>;
  readonly sync: boolean;
}

interface SyncWaiter {
  readonly index: number;
  readonly settlers: Settlers<void>;
}

export class OutgoingQueue {
  protected readonly link: SessionLink;
  /** The bound (SessionLimits): a number, not the limits object, kept by every connection. */
  private readonly size: number;
  /** Costs of the messages accepted and not yet reported handed to the socket. */
  queuedBytes = 0;
  /** Layout bytes of those messages: what an end drops. */
  private unwrittenBytes = 0;
  private sentMessages = 0;
  private writtenMessages = 0;
  /** `writeSync` callers by the count of messages sent up to theirs: settled as reports come. */
  private syncWaiters: SyncWaiter[] | undefined;
  /** Writers waiting for room, in order. This list and the others are made on first use: most connections never wait. */
  private blocked: BlockedWriter[] | undefined;
  /** `whenWritable` callers: settled when the queue falls to half the bound, or at the end. */
  private room: RoomWaiters | undefined;
  /** `admitBlocked` is running: a direct link's report from within it does not start another. */
  private admitting = false;
  /** No more messages are taken (a close, or the end). */
  closed = false;

  constructor(link: SessionLink, size: number) {
    this.link = link;
    this.size = size;
  }

  /** The link handed `messages` whole messages (`bytes` of layouts, parts included) to the socket. */
  onWritten(messages: number, bytes: number): void {
    this.queuedBytes -= bytes + messages * OUTGOING_ENTRY_COST;
    this.unwrittenBytes -= bytes;
    this.writtenMessages += messages;
    const syncWaiters = this.syncWaiters;
    while (syncWaiters !== undefined && syncWaiters.length > 0 && syncWaiters[0]!.index <= this.writtenMessages) {
      this.queuedBytes -= SYNC_WRITE_EXTRA_COST;
      syncWaiters.shift()!.settlers.resolve();
    }
    if (this.admitting) return;
    if (this.writersWait) this.admitBlocked();
    else if (this.room?.waiting && this.hasRoom()) this.room.wake();
  }

  /** Accepted and never reported written: dropped by the end (a close without wait, the peer's end). */
  dropped(): CloseOutcome {
    return { droppedMessages: this.sentMessages - this.writtenMessages, droppedBytes: this.unwrittenBytes };
  }

  write(message: EncodedMessage, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new ConnectionClosedError());
    message.consume();
    const cost = costOf(message);
    // Behind a writer already waiting for room, even when this one would fit: writes go out in
    // the order they were made (test write-order-mixes).
    if (!this.writersWait && this.admits(cost)) {
      this.send(message, cost);
      return Promise.resolve();
    }
    return this.block(message, cost, false, signal);
  }

  /** Like `write`, resolving once the link reports the message handed to the socket. */
  writeSync(message: EncodedMessage, signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new ConnectionClosedError());
    message.consume();
    const cost = costOf(message) + SYNC_WRITE_EXTRA_COST;
    // Aborting rejects the wait; a message already accepted may still be sent.
    return abortable<void>(signal, (settlers) => {
      if (!this.writersWait && this.admits(cost)) {
        (this.syncWaiters ??= []).push({ index: this.sentMessages + 1, settlers });
        this.send(message, cost);
        return () => undefined;
      }
      return this.addBlocked({ message, cost, settlers, sync: true });
    });
  }

  writeNow(message: EncodedMessage): boolean {
    if (this.closed) throw new ConnectionClosedError();
    if (message.consumed) throw new EncodedMessageConsumedError();
    const cost = costOf(message);
    if (this.writersWait || !this.admits(cost)) return false;
    message.consume();
    this.send(message, cost);
    return true;
  }

  /**
   * A broadcast's share for this connection: admitted as `writeNow` would, in order with the
   * other writes; the link joins it to the batch (a shard gets the layout once for all its
   * connections: broadcast-batch.ts). False when dropped or closed.
   */
  joinBroadcast(batch: BroadcastBatch<unknown>, layout: EncodedMessage): boolean {
    const cost = costOf(layout);
    if (this.closed || this.writersWait || !this.admits(cost)) return false;
    this.count(layout, cost);
    this.link.joinBroadcast(batch, layout);
    return true;
  }

  whenWritable(signal?: AbortSignal): Promise<void> {
    return (this.room ??= new RoomWaiters()).wait(this.closed, this.hasRoom(), signal);
  }

  /** Takes no more messages; blocked writers fail (they were never accepted), and without `wait` so do `writeSync` and room waiters. */
  stop(wait: boolean): void {
    if (!wait) {
      this.failWriters();
      return;
    }
    this.closed = true;
    if (!this.writersWait) return;
    const error = new ConnectionClosedError();
    for (const writer of this.blocked!.splice(0)) writer.settlers.reject(error);
  }

  /** The end: nothing more is taken, and everything that waits fails. */
  failWriters(): void {
    this.closed = true;
    // Built only when a writer waits: every connection's end comes here, and an error's stack
    // costs microseconds.
    const syncWaiting = this.syncWaiters !== undefined && this.syncWaiters.length > 0;
    if (!this.writersWait && !syncWaiting && !this.room?.waiting) return;
    const error = new ConnectionClosedError();
    if (this.blocked) for (const writer of this.blocked.splice(0)) writer.settlers.reject(error);
    if (this.syncWaiters) for (const waiter of this.syncWaiters.splice(0)) waiter.settlers.reject(error);
    this.room?.fail(error);
  }

  /**
   * The link reported the end: nothing more will be reported written, so what was not is dropped
   * (`dropped`) and no longer queued.
   */
  forgetUnreported(): void {
    this.queuedBytes = 0;
  }

  private block(message: EncodedMessage, cost: number, sync: boolean, signal: AbortSignal | undefined): Promise<void> {
    return abortable<void>(signal, (settlers) => this.addBlocked({ message, cost, settlers, sync }));
  }

  /** Queues a writer for room; returns how to take it out again (an abort). */
  private addBlocked(writer: BlockedWriter): () => void {
    const blocked = (this.blocked ??= []);
    blocked.push(writer);
    return () => removeItem(blocked, writer);
  }

  /** Writers wait for room: later writes queue behind them. */
  private get writersWait(): boolean {
    return this.blocked !== undefined && this.blocked.length > 0;
  }

  /** Half the bound, as a stream's low-water mark, so a waiter is not woken for one message. */
  private hasRoom(): boolean {
    return !this.writersWait && this.queuedBytes <= this.size / 2;
  }

  private admits(cost: number): boolean {
    return this.queuedBytes === 0 || this.queuedBytes + cost < this.size;
  }

  private count(message: EncodedMessage, cost: number): void {
    this.queuedBytes += cost;
    this.unwrittenBytes += message.buffer.length;
    this.sentMessages++;
  }

  /** Counted before the link sees it: a direct link reports it written before returning. */
  private send(message: EncodedMessage, cost: number): void {
    this.count(message, cost);
    this.link.send(message);
  }

  private admitBlocked(): void {
    this.admitting = true;
    try {
      const blocked = this.blocked!;
      while (blocked.length > 0 && !this.closed && this.admits(blocked[0]!.cost)) {
        const writer = blocked.shift()!;
        if (writer.sync) (this.syncWaiters ??= []).push({ index: this.sentMessages + 1, settlers: writer.settlers });
        else writer.settlers.resolve();
        this.send(writer.message, writer.cost);
      }
    } finally {
      this.admitting = false;
    }
    if (this.room?.waiting && this.hasRoom()) this.room.wake();
  }
}

function costOf(message: EncodedMessage): number {
  return message.buffer.length + OUTGOING_ENTRY_COST;
}
