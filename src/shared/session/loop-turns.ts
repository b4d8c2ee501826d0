/**
 * This thread's event-loop turns as the transports see them (transport.ts): a turn counter that
 * batches writes, and the read budgets that make a busy socket yield to the rest of the loop
 * until the next turn. One immediate per turn, shared by every connection of the thread.
 */

/**
 * An established connection's reading, as the turns see it: the reads it took this turn
 * (`readTurn`, `turnBytes`), and the generation in which it last read (`seenGeneration`).
 */
export interface TurnReader {
  /** The turn of the reads counted in `turnBytes`. */
  readTurn: number;
  turnBytes: number;
  /** The reader generation in which this connection was last listed as reading. */
  seenGeneration: number;
  /** Stops reading until the next turn (then `endYield`), unless it is already stopped or closed. */
  yieldRead(): void;
  /** A new turn: reading that yielded goes on, unless another reason holds it. */
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
 * How long a turn may read once the thread's byte budget is spent before every listed reader
 * stops. Past the byte budget each further read still yields its own connection, but a budget
 * checked only after each socket's read lets every ready socket take one read (up to
 * READ_BUFFER_SIZE each): a thousand connections that start a flood of small messages together
 * held an inline pool's loop for 2–2.6 s (W2 ingest), and with this stop for 0.2–0.4 s. Stopping and
 * resuming a thousand sockets is not cheap (a pause, a resume and epoll updates each): done every
 * 4 MiB it doubled W6's CPU per 16 KiB message on both sides, and every 50 ms it still cost W6's
 * reader 25–40 %; at 200 ms it no longer shows (docs/load-benchmark.md).
 */
export const THREAD_READ_TIME_PER_TURN_MS = 200;

/** The time above in effect on this thread; a test sets it to 0 to see the stop at the byte budget alone. */
export const threadReadTime = { perTurnMs: THREAD_READ_TIME_PER_TURN_MS };

/**
 * Connections listed as reading are those that read in the current generation or the one before:
 * a generation lasts at least this long. Stopping and restarting a socket costs an epoll update or
 * two, so sockets that have been quiet for longer than this are not listed.
 */
const READER_GENERATION_MS = 5_000;

/**
 * Counts turns of this thread's event loop while connections write or read (see `write`,
 * `handleData`): bumped by one immediate per turn in which anything was written or read, not
 * by a timer per connection. That immediate also resumes the connections that yielded.
 */
let loopTurn = 0;
/** Bytes the established connections of this thread took in this turn. */
let threadTurnBytes = 0;
/** The thread's budgets for this turn are spent: every listed reader was stopped. */
let threadBudgetSpent = false;
/** When this turn's first read came (`performance.now()`), or -1 before it. */
let turnFirstRead = -1;
let turnImmediate: NodeJS.Immediate | undefined;
/** Connections whose reading yielded this turn, resumed by `nextTurn`. */
let yielded: TurnReader[] = [];
let generation = 0;
let generationStarted = 0;
/**
 * Readers listed in this generation or the one before (`listReader`); a connection leaves when it
 * ends (`forgetReader`) or when a generation passes it by, so closed connections are not kept.
 */
const listed = new Set<TurnReader>();

function nextTurn(): void {
  loopTurn++;
  threadTurnBytes = 0;
  threadBudgetSpent = false;
  turnFirstRead = -1;
  turnImmediate = undefined;
  const now = performance.now();
  if (now - generationStarted >= READER_GENERATION_MS) {
    generation++;
    generationStarted = now;
    for (const reader of listed) if (reader.seenGeneration < generation - 1) listed.delete(reader);
  }
  if (yielded.length === 0) return;
  const resumed = yielded;
  yielded = [];
  for (const reader of resumed) reader.endYield();
}

/** Lists `reader` as reading in this generation. */
export function listReader(reader: TurnReader): void {
  if (reader.seenGeneration === generation) return;
  reader.seenGeneration = generation;
  listed.add(reader);
}

/** `reader` ended: it is not listed any more. */
export function forgetReader(reader: TurnReader): void {
  listed.delete(reader);
}

/** The thread's budgets are spent: every listed reader but `current` (which yields by its own count) stops until the next turn. */
function stopListedReaders(current: TurnReader): void {
  threadBudgetSpent = true;
  for (const reader of listed) if (reader !== current) reader.yieldRead();
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

/**
 * Counts `bytes` read by a connection against this turn's budgets, its own and the thread's;
 * true once either is spent. One read may take a whole budget and more (a read buffer of its
 * size or larger, borrowed-reads.ts): the budget then allows that one read per turn. Past the
 * thread's byte budget every read yields its connection, and the first one once the turn has
 * also read for `threadReadTime.perTurnMs` stops every other listed reader too.
 */
export function overReadBudget(reader: TurnReader, bytes: number): boolean {
  scheduleTurn();
  if (reader.readTurn !== loopTurn) {
    reader.readTurn = loopTurn;
    reader.turnBytes = 0;
    listReader(reader);
  }
  if (turnFirstRead < 0) turnFirstRead = performance.now();
  reader.turnBytes += bytes;
  threadTurnBytes += bytes;
  if (threadTurnBytes < THREAD_READ_BUDGET_PER_TURN) return reader.turnBytes >= READ_BUDGET_PER_TURN;
  if (!threadBudgetSpent && performance.now() - turnFirstRead >= threadReadTime.perTurnMs) stopListedReaders(reader);
  return true;
}

/** `reader` stops reading until the next turn, which resumes it (the turn's immediate now keeps the loop alive). */
export function yieldUntilNextTurn(reader: TurnReader): void {
  yielded.push(reader);
  scheduleTurn().ref();
}
