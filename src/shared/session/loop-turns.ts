/**
 * This thread's event-loop turns as the transports see them (transport.ts): a turn counter that
 * batches writes, and the read budgets that make a busy socket yield to the rest of the loop
 * until the next turn. One immediate per turn, shared by every connection of the thread.
 */

/** A connection whose reading yielded this turn; told when the next turn begins. */
export interface Yielder {
  endYield(): void;
}

/**
 * Bytes an established connection may take in one turn of the event loop before its reading
 * yields to the rest of the loop until the next turn. libuv reads a ready socket up to 32 times
 * per poll, so without a budget one busy socket keeps timers, control messages and every other
 * connection waiting for as long as its peer keeps sending.
 */
export const READ_BUDGET_PER_TURN = 256 * 1024;

/**
 * Bytes all established connections of this thread may take in one turn before each further
 * read yields too: a thousand connections under their own budget would otherwise still hold the
 * loop for as long as it takes to read a thousand budgets.
 */
export const THREAD_READ_BUDGET_PER_TURN = 4 * 1024 * 1024;

/**
 * Counts turns of this thread's event loop while connections write or read (see `write`,
 * `handleData`): bumped by one immediate per turn in which anything was written or read, not
 * by a timer per connection. That immediate also resumes the connections that yielded.
 */
let loopTurn = 0;
/** Bytes the established connections of this thread took in this turn. */
let threadTurnBytes = 0;
let turnImmediate: NodeJS.Immediate | undefined;
/** Connections whose reading yielded this turn (`countTurnRead`), resumed by `nextTurn`. */
let yielded: Yielder[] = [];

function nextTurn(): void {
  loopTurn++;
  threadTurnBytes = 0;
  turnImmediate = undefined;
  if (yielded.length === 0) return;
  const resumed = yielded;
  yielded = [];
  for (const transport of resumed) transport.endYield();
}

/** Makes sure this turn ends with `nextTurn`: unreferenced, unless a connection waits on it to read again. */
export function scheduleTurn(): NodeJS.Immediate {
  turnImmediate ??= setImmediate(nextTurn).unref();
  return turnImmediate;
}

/** The current turn's number (`write`'s batching, `countTurnRead`). */
export function currentTurn(): number {
  return loopTurn;
}

/** A connection's reads in one turn, kept in its own fields (no object per connection). */
export interface TurnReads {
  /** The turn of the reads counted in `turnBytes`. */
  readTurn: number;
  turnBytes: number;
}

/**
 * Counts `bytes` read by a connection against this turn's budgets, its own and the thread's;
 * true once either is spent. One read may take a whole budget and more (a read buffer of its
 * size or larger, borrowed-reads.ts): the budget then allows that one read per turn.
 */
export function overReadBudget(reads: TurnReads, bytes: number): boolean {
  scheduleTurn();
  if (reads.readTurn !== loopTurn) {
    reads.readTurn = loopTurn;
    reads.turnBytes = 0;
  }
  reads.turnBytes += bytes;
  threadTurnBytes += bytes;
  return reads.turnBytes >= READ_BUDGET_PER_TURN || threadTurnBytes >= THREAD_READ_BUDGET_PER_TURN;
}

/** `yielder` stops reading until the next turn, which resumes it (the turn's immediate now keeps the loop alive). */
export function yieldUntilNextTurn(yielder: Yielder): void {
  yielded.push(yielder);
  scheduleTurn().ref();
}
