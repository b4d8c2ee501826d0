/**
 * Slots of a shard's shared stats table (architecture.md §3). Main allocates a slot when it hands
 * a connection to a shard and frees it when the shard has forgotten the connection, so two live
 * connections never share counters (connection ids are pool-wide and unbounded; `id % size` did
 * collide).
 */

/** Float64 values per slot: [sent, received]. */
export const STAT_FIELDS = 2;

export class StatSlots {
  readonly size: number;
  private readonly free: number[] = [];
  private next = 0;

  constructor(size: number) {
    this.size = size;
  }

  /** A slot no live connection holds, or `undefined` when all are taken. */
  allocate(): number | undefined {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    return this.next < this.size ? this.next++ : undefined;
  }

  release(slot: number): void {
    this.free.push(slot);
  }

  get inUse(): number {
    return this.next - this.free.length;
  }
}

/** The table both threads see: one per shard, `size` slots. */
export function createStatsTable(size: number): SharedArrayBuffer {
  return new SharedArrayBuffer(size * STAT_FIELDS * Float64Array.BYTES_PER_ELEMENT);
}

export function writeTotals(table: Float64Array, slot: number, sent: number, received: number): void {
  table[slot * STAT_FIELDS] = sent;
  table[slot * STAT_FIELDS + 1] = received;
}

export function readTotals(table: Float64Array, slot: number): [number, number] {
  return [table[slot * STAT_FIELDS] ?? 0, table[slot * STAT_FIELDS + 1] ?? 0];
}
