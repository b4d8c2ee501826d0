/**
 * The `messageTimeout` deadline of one session (docs/security.md): an unfinished message (a
 * partial chunk counts) that gets no new byte for `timeout` ms fails the stream with TIMEOUT.
 * Waiting for the application's reader (a full queue) or for download quota is not the peer's
 * stall; waiting for room in the pending-message budget is: the budget is full of unfinished
 * messages, and one that cannot progress for `timeout` ms is closed so that its bytes go back
 * (a peer holding budget forever would stall every large message of the pool). Made on a
 * session's first unfinished message: idle sessions carry none.
 */
import { TimeoutError } from '../errors.ts';

/** What the watch reads of its session. */
export interface Stallable {
  /** Bytes of the message not delivered yet, and of the partial chunk after it. */
  readonly unfinishedBytes: number;
  /** Still receiving (the stream has not ended). */
  readonly receiving: boolean;
  /** Reading is paused because the application's reader is behind (a full queue). */
  readonly pausedForReader: boolean;
  /** Reading waits for download quota. */
  readonly waitingForQuota: boolean;
  stalled(error: TimeoutError): void;
}

export class StallWatch {
  private readonly timeout: number;
  private readonly session: Stallable;
  /** Unfinished bytes at the last look: a change is the peer's progress. */
  private lastUnfinished = 0;
  private progressAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(timeout: number, session: Stallable) {
    this.timeout = timeout;
    this.session = session;
  }

  /** After a pump: note progress, and keep the timer on while a message is unfinished. */
  observe(unfinished: number): void {
    if (unfinished === this.lastUnfinished) return;
    this.lastUnfinished = unfinished;
    this.progressAt = Date.now();
    if (unfinished > 0) this.arm(this.timeout);
  }

  /** The application's pause ended: the peer's clock starts again. */
  restart(): void {
    this.progressAt = Date.now();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The timer fired: fail the stream if the unfinished message made no progress. */
  private check(): void {
    this.timer = undefined;
    const session = this.session;
    const unfinished = session.unfinishedBytes;
    if (!session.receiving || unfinished === 0) return;
    // Paused for the application's reader: look again later. Quota waits end on their own, so the
    // peer's clock restarts then.
    if (session.pausedForReader) {
      this.arm(this.timeout);
      return;
    }
    if (session.waitingForQuota) {
      this.progressAt = Date.now();
      this.arm(this.timeout);
      return;
    }
    const idle = Date.now() - this.progressAt;
    if (idle >= this.timeout) {
      session.stalled(new TimeoutError(`unfinished message of ${unfinished} bytes so far (chunks included) made no progress for ${this.timeout} ms`));
      return;
    }
    this.arm(this.timeout - idle);
  }

  /** The socket keeps the process alive, not this timer. */
  private arm(ms: number): void {
    this.timer ??= setTimeout(() => this.check(), Math.max(1, ms)).unref();
  }
}
