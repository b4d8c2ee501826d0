/**
 * One session's share of the pool's pending-message budget (pending-message-budget.ts): what its
 * unfinished message holds is charged after each chunk, and a large unfinished message stops
 * being read while the budget is exhausted, until other connections give bytes back.
 */
import type { PendingMessageBudget } from './pending-message-budget.ts';

/**
 * Unfinished messages at least this large stop being read while the pending budget is exhausted;
 * smaller ones (a message spanning two chunks holds at most 128 KiB) keep flowing, so ordinary
 * traffic is not held up by the peers that filled the budget.
 */
const LARGE_PENDING_MESSAGE = 256 * 1024;

export class PendingCharge {
  private readonly budget: PendingMessageBudget;
  /** Called when a session paused by the budget may read again. */
  private readonly onRoom: () => void;
  /** Bytes of the unfinished message charged to the budget. */
  private charged = 0;
  /** Reading is paused because the budget is exhausted. */
  paused = false;
  /** Made the first time the budget pauses this session (most never do). */
  private resume: (() => void) | undefined;

  constructor(budget: PendingMessageBudget, onRoom: () => void) {
    this.budget = budget;
    this.onRoom = onRoom;
  }

  /** Charges `pending`, the unfinished message's bytes now; true when this call paused the session. */
  account(pending: number): boolean {
    if (pending !== this.charged) {
      this.budget.add(pending - this.charged);
      this.charged = pending;
    }
    if (this.paused || pending < LARGE_PENDING_MESSAGE || !this.budget.exhausted) return false;
    this.paused = true;
    this.budget.waitForRoom((this.resume ??= () => this.roomMade()));
    return true;
  }

  private roomMade(): void {
    this.paused = false;
    this.onRoom();
  }

  /** Gives every charged byte back and stops waiting (the session's incoming side ended). */
  release(): void {
    this.budget.add(-this.charged);
    this.charged = 0;
    if (this.paused && this.resume) this.budget.cancelWait(this.resume);
    this.paused = false;
  }
}
