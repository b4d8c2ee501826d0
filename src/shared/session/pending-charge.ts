/**
 * One session's share of the pool's pending-message budget (pending-message-budget.ts): what its
 * unfinished message holds (body buffer, prefix, the received part of the next chunk) is charged
 * after each read, its body grows only within the budget's room, and once it has no room for
 * another socket read it stops reading until other connections give bytes back.
 */
import { READ_BUFFER_SIZE } from './borrowed-reads.ts';
import type { PendingMessageBudget } from './pending-message-budget.ts';

/**
 * Room a session holding bytes needs to go on reading: one socket read (at most the thread's read
 * buffer, borrowed-reads.ts; 64 KiB on 'data' events), which lands before the next check. So the
 * budget is checked before the bytes are taken, and overshoots by at most one read per thread
 * racing for the last room.
 */
export const READ_ROOM = READ_BUFFER_SIZE;

/** The session a charge belongs to (byte-engine.ts), told when it may read again. */
export interface PendingChargeOwner {
  onBudgetRoom(): void;
}

export class PendingCharge {
  private readonly budget: PendingMessageBudget;
  /** Told when a session paused by the budget may read again. */
  private readonly owner: PendingChargeOwner;
  /** Bytes of the unfinished message charged to the budget. */
  private charged = 0;
  /** Room left in the body at the last `account`. */
  private spare = 0;
  /** Reading is paused because the budget has no room for this session. */
  paused = false;
  /** Made the first time the budget pauses this session (most never do). */
  private recheck: (() => void) | undefined;

  constructor(budget: PendingMessageBudget, owner: PendingChargeOwner) {
    this.budget = budget;
    this.owner = owner;
  }

  /**
   * Charges `held`, the bytes the unfinished message holds now, of which `spare` are free room in
   * its body (the next bytes land there without growing it); true while the session is paused.
   */
  account(held: number, spare: number): boolean {
    if (held !== this.charged) {
      this.budget.charge(this.charged, held);
      this.charged = held;
    }
    this.spare = spare;
    if (this.paused) return true;
    if (held === 0 || spare >= READ_ROOM || this.budget.room(held) + spare >= READ_ROOM) return false;
    this.paused = true;
    this.budget.waitForRoom((this.recheck ??= () => this.lookForRoom()));
    return true;
  }

  /** Bytes the unfinished message may grow by beyond what it needs for the bytes received. */
  get growthRoom(): number {
    return this.budget.room(this.charged);
  }

  private lookForRoom(): void {
    if (!this.paused) return;
    if (this.charged > 0 && this.budget.room(this.charged) + this.spare < READ_ROOM) {
      this.budget.waitForRoom(this.recheck!);
      return;
    }
    this.paused = false;
    this.owner.onBudgetRoom();
  }

  /** Gives every charged byte back and stops waiting (the session's incoming side ended). */
  release(): void {
    this.budget.charge(this.charged, 0);
    this.charged = 0;
    if (this.paused && this.recheck) this.budget.cancelWait(this.recheck);
    this.paused = false;
  }
}
