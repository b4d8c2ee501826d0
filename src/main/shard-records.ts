/**
 * Main's mirror of the connections on one shard: a `ShardRecord` per connection with its
 * lifecycle state and stats slot, and the control call in progress for it (architecture.md §4).
 * A record is removed exactly when the shard has forgotten the connection: a failed call, a nack
 * sent, an abandon answered, a `dropped` event, the ENDED record, or the shard's death.
 */
import { ConnectionClosedError, P2pError, PoolError, errorFromRecord, type ErrorRecord } from '../shared/errors.ts';
import type { LifecycleState } from '../shared/session/lifecycle-state.ts';
import { STAT_SLOTS, type Outcome } from '../shared/shard/protocol.ts';
import { StatSlots } from '../shared/shard/stat-slots.ts';
import { nextConnectionId } from './connection-id.ts';
import type { RingLink } from './ring-link.ts';
import type { ShardRingLink } from './shard-ring-link.ts';

/** Main's mirror of one connection on a shard. */
export interface ShardRecord {
  readonly id: number;
  readonly slot: number;
  readonly incoming: boolean;
  state: LifecycleState;
  /** Why the shard forgot it, when it did so on its own. */
  error: P2pError | undefined;
  session: RingLink | undefined;
  /** Rejects the call in progress (shard death, drop). */
  interrupt: ((error: P2pError) => void) | undefined;
}

/** The error a shard reported, as a P2pError. */
export function fromRecord(record: ErrorRecord): P2pError {
  const error = errorFromRecord(record);
  return error instanceof P2pError ? error : new ConnectionClosedError(`${record.code}: ${error.message}`);
}

export class ShardRecords {
  private readonly index: number;
  private readonly link: ShardRingLink;
  private readonly records = new Map<number, ShardRecord>();
  /** The current worker's stats slots (shard/stat-slots.ts). */
  private slots = new StatSlots(STAT_SLOTS);

  constructor(index: number, link: ShardRingLink) {
    this.index = index;
    this.link = link;
  }

  /** Connections and handshakes on this shard. */
  get size(): number {
    return this.records.size;
  }

  get(id: number): ShardRecord | undefined {
    return this.records.get(id);
  }

  /** A new worker: every slot of its stats table is free. */
  resetSlots(): void {
    this.slots = new StatSlots(STAT_SLOTS);
  }

  /** Established connections by direction. */
  established(): { incoming: number; outgoing: number } {
    let incoming = 0;
    let outgoing = 0;
    for (const record of this.records.values()) {
      if (record.state !== 'established') continue;
      if (record.incoming) incoming++;
      else outgoing++;
    }
    return { incoming, outgoing };
  }

  open(state: 'handshaking' | 'dialing'): ShardRecord {
    const slot = this.slots.allocate();
    if (slot === undefined) throw new PoolError('TOO_MANY_CONNECTIONS', `shard ${this.index} has no free stats slot`);
    const incoming = state === 'handshaking'; // an adopted socket; a dial is outgoing
    const record: ShardRecord = { id: nextConnectionId(), slot, incoming, state, error: undefined, session: undefined, interrupt: undefined };
    this.records.set(record.id, record);
    return record;
  }

  /** The shard forgot the connection: remove the record, free its slot. */
  remove(record: ShardRecord): void {
    if (this.records.get(record.id) === record) this.records.delete(record.id);
    this.link.forget(record.id);
    if (record.state !== 'closed') {
      record.state = 'closed';
      this.slots.release(record.slot);
    }
  }

  /** The shard dropped the connection with `error` (or main gave it up): removes the record, ends its call and its session. */
  drop(record: ShardRecord, error: P2pError): void {
    if (this.records.get(record.id) === record) this.records.delete(record.id);
    const wasClosed = record.state === 'closed';
    record.error ??= error;
    const { interrupt, session } = record;
    record.interrupt = undefined;
    if (!wasClosed) {
      record.state = 'closed';
      this.slots.release(record.slot);
    }
    interrupt?.(error);
    session?.onEnded(error);
  }

  /** The shard died: every record ends with `error`. */
  dropAll(error: PoolError): void {
    const records = [...this.records.values()];
    this.records.clear();
    this.link.clear();
    for (const record of records) this.drop(record, error);
  }

  /**
   * One control call for `record`: the outcome, or the error that ended the record meanwhile.
   * `onLost` runs when the call itself failed (the message could not be posted).
   */
  call<T>(record: ShardRecord, state: LifecycleState, request: () => Promise<Outcome<T>>, onLost?: () => void): Promise<T> {
    if (record.state === 'closed') return Promise.reject(record.error ?? new ConnectionClosedError('connection already closed'));
    record.state = state;
    return new Promise<T>((resolve, reject) => {
      record.interrupt = reject;
      let pending: Promise<Outcome<T>>;
      try {
        pending = request();
      } catch (error) {
        pending = Promise.reject(error as Error);
      }
      pending.then(
        (outcome) => {
          if (record.interrupt !== reject) return; // already ended (shard death, drop)
          record.interrupt = undefined;
          if (outcome.ok) resolve(outcome.value);
          else {
            const error = fromRecord(outcome.error);
            record.error = error;
            this.remove(record);
            reject(error);
          }
        },
        (error: unknown) => {
          onLost?.();
          if (record.interrupt !== reject) return;
          record.interrupt = undefined;
          this.remove(record);
          reject(new ConnectionClosedError(`shard ${this.index}: control call failed: ${error instanceof Error ? error.message : String(error)}`));
        },
      );
    });
  }
}
