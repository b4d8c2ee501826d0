/**
 * What main and a shard say to each other (architecture.md §2–§4).
 *
 * Two planes. Data records go through the shard's two SharedArrayBuffer rings, in order with
 * each other: message bodies, outgoing chunk layouts, read credits, "written" reports, close and
 * end. Control messages (postMessage) carry what is rare or carries a handle: a socket to adopt,
 * a handshake's outcome, doorbells. Anything that must stay ordered with data (close after
 * queued writes, the end of a stream after its last message) is a ring record.
 */
import type { ErrorRecord } from '../errors.ts';
import type { NetworkVersion } from '../wire/network-version.ts';
import type { Point } from '../wire/point.ts';

/** Ring record kinds. */
export const RECORD = {
  /** main→shard: whole chunks of an outgoing message, more parts follow. */
  WRITE_PART: 1,
  /** main→shard: the last (or only) part of an outgoing message. */
  WRITE_END: 2,
  /** main→shard: u32 bytes the application has read (incoming credit). */
  CREDIT: 3,
  /** main→shard: close; payload u8 1 = wait for queued writes. */
  CLOSE: 4,
  /** shard→main: part of a message body; more follows. */
  MESSAGE_PART: 10,
  /** shard→main: the end (or all) of a message body. */
  MESSAGE_END: 11,
  /** shard→main: u32 messages and u32 layout bytes handed to the socket since the last report. */
  WRITTEN: 12,
  /** shard→main: the stream ended; payload: JSON error record (empty = CONNECTION_CLOSED). */
  ENDED: 13,
} as const;

/** The peer as the shard learned it; metadata stays bytes, decoded on main by the user's codec. */
export interface WireInfo {
  readonly peerId: string;
  readonly publicKey: Uint8Array;
  readonly announcedVersion: NetworkVersion;
  readonly incoming: boolean;
  readonly idPoint: { readonly host: string; readonly port: number | undefined };
  readonly remoteSocketPort: number;
  readonly remoteMetadata: Uint8Array;
}

export interface SessionLimitsRecord {
  readonly incomingQueueSize: number;
  readonly maxMessageSize: number;
}

export type MainToShard =
  | { readonly t: 'adopt'; readonly id: number; readonly socket: unknown; readonly timeout: number }
  | { readonly t: 'dial'; readonly id: number; readonly host: string; readonly port: number; readonly timeout: number }
  | { readonly t: 'accept'; readonly id: number; readonly limits: SessionLimitsRecord; readonly timeout: number | undefined }
  | { readonly t: 'nack'; readonly id: number; readonly motive: number; readonly points: readonly Point[] }
  | { readonly t: 'abandon'; readonly id: number }
  | { readonly t: 'advertise'; readonly port: number }
  | { readonly t: 'bell' }
  | { readonly t: 'space' };

export type ShardToMain =
  | { readonly t: 'authenticated'; readonly id: number; readonly info: WireInfo }
  | { readonly t: 'established'; readonly id: number }
  | { readonly t: 'failed'; readonly id: number; readonly error: ErrorRecord }
  | { readonly t: 'nacked'; readonly id: number }
  | { readonly t: 'bell' }
  | { readonly t: 'space' };

/** What a shard starts with (workerData). */
export interface ShardConfig {
  readonly index: number;
  readonly secretKey: Uint8Array;
  readonly proofOfWorkStamp: Uint8Array;
  readonly announcedVersion: NetworkVersion;
  readonly proofOfWorkDifficulty: number;
  readonly advertisedPort: number | undefined;
  readonly localMetadata: Uint8Array;
  /** main→shard ring. */
  readonly inbound: SharedArrayBuffer;
  /** shard→main ring. */
  readonly outbound: SharedArrayBuffer;
  /** Float64 totals per connection slot: [sent, received]. */
  readonly stats: SharedArrayBuffer;
}

/** Connection slots in the stats table; a connection id maps to `id % STAT_SLOTS`. */
export const STAT_SLOTS = 1 << 16;
