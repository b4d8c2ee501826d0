/**
 * The iterators of `pool.connections()`. Each one gets every incoming connection accepted while it
 * is open, whether or not a `'connection'` listener exists too, and holds at most `bound` unread
 * ones: past it, queued connections that have closed meanwhile are let go first, and the oldest
 * after them (a pool never has more than `maxConnections` open, so only closed ones go when the
 * bound is that). Aborting its signal ends it: the waiting (or next) `next` rejects with ABORTED.
 */
import { errorFromAbortReason, type P2pError } from '../shared/errors.ts';

/** What a feed needs of a connection. */
interface Closable {
  readonly closed: boolean;
}

/** The pool's side: the open feeds, and connections accepted while nobody listened. */
export class ConnectionFeeds<C extends Closable> {
  private readonly feeds = new Set<ConnectionFeed<C>>();
  /** Accepted while no feed was open and no listener existed: the next feed starts with them. */
  private readonly backlog: C[] = [];
  private readonly bound: () => number;
  private ended = false;

  constructor(bound: () => number) {
    this.bound = bound;
  }

  open(signal: AbortSignal | undefined): ConnectionFeed<C> {
    const feed = new ConnectionFeed<C>(this.bound(), () => this.feeds.delete(feed), signal);
    if (this.ended) feed.end();
    else {
      for (const conn of this.backlog.splice(0)) feed.push(conn);
      this.feeds.add(feed);
    }
    return feed;
  }

  /** A connection was accepted; `listened`: a `'connection'` listener got it. */
  deliver(conn: C, listened: boolean): void {
    for (const feed of this.feeds) feed.push(conn);
    if (this.feeds.size === 0 && !listened) pushBounded(this.backlog, conn, this.bound());
  }

  /** The pool closed: every feed ends once its queue is read. */
  end(): void {
    this.ended = true;
    this.backlog.length = 0;
    for (const feed of this.feeds) feed.end();
    this.feeds.clear();
  }
}

export class ConnectionFeed<C extends Closable> implements AsyncIterableIterator<C> {
  private readonly queue: C[] = [];
  private readonly bound: number;
  private readonly leave: () => void;
  private readonly signal: AbortSignal | undefined;
  private waiter: { resolve(result: IteratorResult<C>): void; reject(error: P2pError): void } | undefined;
  private done = false;
  /** The abort not yet reported by a `next`. */
  private failure: P2pError | undefined;
  private readonly onAbort = (): void => this.abort();

  constructor(bound: number, leave: () => void, signal: AbortSignal | undefined) {
    this.bound = bound;
    this.leave = leave;
    this.signal = signal;
    if (signal?.aborted) this.abort();
    else signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** @internal */
  push(conn: C): void {
    if (this.done) return;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      waiter.resolve({ value: conn, done: false });
    } else pushBounded(this.queue, conn, this.bound);
  }

  /** @internal no more will come: `next` ends once the queue is read. */
  end(): void {
    if (this.done) return;
    this.done = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.resolve({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<C>> {
    const conn = this.queue.shift();
    if (conn !== undefined) return Promise.resolve({ value: conn, done: false });
    const failure = this.failure;
    if (failure) {
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise<IteratorResult<C>>((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  /** Leaving the loop: this feed takes no more connections (the ones it held stay open). */
  return(): Promise<IteratorResult<C>> {
    this.queue.length = 0;
    this.leave();
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private abort(): void {
    const error = errorFromAbortReason(this.signal?.reason);
    this.queue.length = 0;
    this.leave();
    const waiter = this.waiter;
    this.waiter = undefined;
    this.done = true;
    if (waiter) waiter.reject(error);
    else this.failure = error;
  }
}

/** Appends `conn`, keeping at most `bound` entries: closed ones go first, then the oldest. */
function pushBounded<C extends Closable>(queue: C[], conn: C, bound: number): void {
  if (queue.length >= bound) {
    const open = queue.filter((queued) => !queued.closed);
    queue.length = 0;
    queue.push(...open.slice(Math.max(0, open.length - bound + 1)));
  }
  queue.push(conn);
}
