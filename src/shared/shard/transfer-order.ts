/**
 * Keeps transferred buffers in their place among ring records (architecture.md §3). A large body
 * or layout crosses threads by `postMessage` with a transfer list, and a ring record of kind
 * `kind` marks its place; the two travel separately, so either may come first. Buffers that come
 * first wait here per connection, in order; a marking record that comes first parks that
 * connection's later records (copied out of the ring) until its buffer arrives, then they are
 * replayed in order. Both threads use it: main for received bodies, a shard for outgoing layouts.
 */

/** Handles one record in order; `buffer` is the transferred buffer its marking record stands for. */
export type OrderedVisitor = (id: number, kind: number, payload: Uint8Array, buffer: ArrayBuffer | undefined) => void;

interface Parked {
  readonly kind: number;
  readonly payload: Uint8Array;
}

export class TransferOrder {
  private readonly kind: number;
  private readonly handle: OrderedVisitor;
  /** Buffers that came before their record, per connection, in order. */
  private readonly buffers = new Map<number, ArrayBuffer[]>();
  /** Connections whose marking record came first: it and every later record, in order. */
  private readonly parked = new Map<number, Parked[]>();

  constructor(kind: number, handle: OrderedVisitor) {
    this.kind = kind;
    this.handle = handle;
  }

  /** Whether connection `id`'s records wait for a buffer (a record of it must then go through `visit`). */
  waiting(id: number): boolean {
    return this.parked.size !== 0 && this.parked.has(id);
  }

  /** A record from the ring (its payload valid only during the call). */
  visit(id: number, kind: number, payload: Uint8Array): void {
    // Nothing parked is the common case: no lookup per record then.
    const waiting = this.parked.size === 0 ? undefined : this.parked.get(id);
    if (waiting) {
      waiting.push({ kind, payload: payload.slice() });
      return;
    }
    if (kind !== this.kind) {
      this.handle(id, kind, payload, undefined);
      return;
    }
    const queue = this.buffers.get(id);
    const buffer = queue?.shift();
    if (buffer === undefined) {
      this.parked.set(id, [{ kind, payload: payload.slice() }]);
      return;
    }
    if (queue!.length === 0) this.buffers.delete(id);
    this.handle(id, kind, payload, buffer);
  }

  /** A transferred buffer of connection `id` arrived; replays what waited for it. */
  arrived(id: number, buffer: ArrayBuffer): void {
    let queue = this.buffers.get(id);
    if (!queue) this.buffers.set(id, (queue = []));
    queue.push(buffer);
    const waiting = this.parked.get(id);
    if (!waiting) return;
    this.parked.delete(id);
    // A later marking record whose buffer is not here yet parks the rest again.
    for (const { kind, payload } of waiting) this.visit(id, kind, payload);
  }

  /** The connection is gone: drop what waits for it. */
  forget(id: number): void {
    this.buffers.delete(id);
    this.parked.delete(id);
  }

  clear(): void {
    this.buffers.clear();
    this.parked.clear();
  }
}
