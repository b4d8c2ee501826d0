/**
 * A received message body the connection lends instead of gives (`Connection.readLent`, api.md
 * "Lent messages"): for a server that parses a message and drops it, the library takes the memory
 * back once the application is done and assembles a later body into it, so a bulk stream makes no
 * garbage per message. One object per lend, never reused: a reference kept past its release can
 * only ever see that lend's own state.
 */
import { LentMessageReleasedError } from '../shared/errors.ts';
import type { FramedMessage } from '../shared/session/message-framer.ts';

/** A lent message: valid until `release()` or the connection's next lent read, whichever is first. */
export interface LentMessage extends Disposable {
  /** Stream bytes the message used: its 4-byte prefix plus the body (as `Received.size`). */
  readonly size: number;
  /**
   * The body as received, not passed through the connection's codec. Throws LENT_MESSAGE_RELEASED
   * once released. A view taken from it must not be used after the release either: a large body's
   * memory is detached then (the view reads as empty), and taken back for a later message.
   */
  readonly body: Buffer;
  /** Whether the body is still lent (false once released, by `release()` or the next lent read). */
  readonly lent: boolean;
  /** Gives the body back. Idempotent; `using lent = await conn.readLent()` calls it at the end of the block. */
  release(): void;
}

/** Who takes a lent body back: the connection contract (message-queues.ts). */
export interface LendingQueues {
  giveBack(lend: Lend, message: FramedMessage): void;
}

export class Lend implements LentMessage {
  readonly size: number;
  private message: FramedMessage | undefined;
  private readonly owner: LendingQueues;

  constructor(owner: LendingQueues, message: FramedMessage) {
    this.owner = owner;
    this.message = message;
    this.size = message.size;
  }

  get body(): Buffer {
    const message = this.message;
    if (message === undefined) throw new LentMessageReleasedError();
    return message.body;
  }

  get lent(): boolean {
    return this.message !== undefined;
  }

  release(): void {
    const message = this.message;
    if (message === undefined) return;
    this.message = undefined;
    this.owner.giveBack(this, message);
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/**
 * Takes a released body's memory back from whatever still views it: the body's ArrayBuffer is
 * detached (every view of it reads as empty from then on) and its memory returned as a fresh
 * ArrayBuffer, without a copy. Only a body that is the whole of its own buffer (`owned`: after at
 * most its prefix) qualifies; anything else is left as it is and never reused, so a kept view still
 * shows that same message's bytes. Undefined when the memory stays where it is.
 */
export function detachBody(message: FramedMessage): ArrayBuffer | undefined {
  const buffer = message.body.buffer;
  if (message.owned !== true || !(buffer instanceof ArrayBuffer) || buffer.detached) return undefined;
  try {
    return buffer.transfer();
  } catch {
    return undefined; // a buffer V8 will not detach (none of ours): left to the collector
  }
}
