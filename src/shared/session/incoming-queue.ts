/**
 * The byte engine's small incoming queue (byte-engine.ts): framed messages waiting for their
 * reader, and the stream error that ends them, with the bytes the messages hold (a message costs
 * its body and INCOMING_ENTRY_COST, queue-costs.ts; the error nothing). A head index over an
 * array, so taking the next entry moves nothing until half the array is spent.
 */
import { P2pError } from '../errors.ts';
import type { FramedMessage } from './message-framer.ts';
import { INCOMING_ENTRY_COST } from './queue-costs.ts';

export type IncomingEntry = FramedMessage | P2pError;

export class IncomingQueue {
  /** Made on the first entry and kept: an idle connection that never queued keeps no array. */
  private entries: IncomingEntry[] | undefined;
  private head = 0;
  /** Bytes of the queued messages, measured against the engine's incomingQueueSize. */
  bytes = 0;

  get empty(): boolean {
    return this.entries === undefined || this.head >= this.entries.length;
  }

  push(message: FramedMessage): void {
    (this.entries ??= []).push(message);
    this.bytes += message.size + INCOMING_ENTRY_COST;
  }

  /** Queues the error that ends the stream, after the messages received before it. */
  pushError(error: P2pError): void {
    (this.entries ??= []).push(error);
  }

  /** The next entry, `undefined` when none is queued. */
  shift(): IncomingEntry | undefined {
    const entries = this.entries;
    if (entries === undefined || this.head >= entries.length) return undefined;
    const entry = entries[this.head]!;
    entries[this.head++] = undefined as unknown as IncomingEntry;
    if (this.head > 1024 && this.head * 2 > entries.length) {
      entries.splice(0, this.head);
      this.head = 0;
    } else if (this.head === entries.length) {
      entries.length = 0;
      this.head = 0;
    }
    if (!(entry instanceof P2pError)) this.bytes -= entry.size + INCOMING_ENTRY_COST;
    return entry;
  }

  clear(): void {
    if (this.entries) this.entries.length = 0;
    this.head = 0;
    this.bytes = 0;
  }
}
