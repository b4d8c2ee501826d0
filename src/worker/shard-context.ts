/**
 * What every connection of a shard shares with it (shard.ts makes one): the shard's identity and
 * wire settings, the record sink to main, the pool-wide budget and the shard's own bookkeeping.
 */
import type { ErrorRecord } from '../shared/errors.ts';
import { P2pError } from '../shared/errors.ts';
import type { Identity } from '../shared/identity.ts';
import type { IoScheduler } from '../shared/session/io-scheduler.ts';
import type { PendingMessageBudget } from '../shared/session/pending-message-budget.ts';
import type { RecordSink } from '../shared/shard/records.ts';
import type { MetadataConfig } from '../shared/wire/metadata.ts';
import type { NetworkVersion } from '../shared/wire/network-version.ts';
import type { ShardConnection } from './shard-connection.ts';

/** What every connection of a shard shares. */
export interface ShardContext {
  readonly identity: Identity;
  readonly powTarget: Buffer;
  /** The difficulty behind `powTarget`, named in NOT_ENOUGH_PROOF_OF_WORK. */
  readonly proofOfWorkDifficulty: number;
  readonly announcedVersion: NetworkVersion;
  readonly metadata: MetadataConfig<Buffer>;
  advertisedPort(): number | undefined;
  /** Sends one record (after any batched bodies: order is kept). */
  readonly send: RecordSink;
  /**
   * Adds a small body, `source[start, start + length)`, to the current MESSAGES record
   * (body-batch.ts); false: too large, send it on its own.
   */
  batchBody(id: number, source: Buffer, start: number, length: number): boolean;
  /** Posts a large body to main, transferred (its ring record follows from the caller). */
  transfer(id: number, body: ArrayBuffer): void;
  readonly maxPayload: () => number;
  readonly stats: Float64Array;
  /** Bytes of unfinished messages, counted pool-wide (pending-message-budget.ts). */
  readonly pendingBudget: PendingMessageBudget | undefined;
  /** Milliseconds an unfinished message may go without a byte. */
  readonly messageTimeout: number | undefined;
  /** Bandwidth regulation of this shard's sockets, when the pool limits a direction. */
  readonly io?: IoScheduler | undefined;
  /** Tells main about an exit it is not waiting for. */
  dropped(id: number, error: ErrorRecord): void;
  /** Called once, when the connection is closed and forgotten. */
  forget(connection: ShardConnection): void;
  /** Batches WRITTEN reports and stats refreshes to one per event-loop turn. */
  schedule(connection: ShardConnection): void;
}

export function toRecord(error: unknown): ErrorRecord {
  if (error instanceof P2pError) return error.toRecord();
  return { code: 'INTERNAL_ERROR', message: error instanceof Error ? error.message : String(error) };
}
