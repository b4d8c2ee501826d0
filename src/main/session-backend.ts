/**
 * What a Connection and an AuthenticatedConnection need from whoever owns the socket: the
 * session engine on this thread (inline) or a proxy to a shard worker. Code written against the
 * public classes runs the same in both modes (architecture.md §2).
 */
import type { Settlers } from '../shared/session/abortable.ts';
import type { EncodedMessage } from '../shared/session/encoded-message.ts';
import type { SessionLimits } from '../shared/session/byte-engine.ts';
import type { FramedMessage } from '../shared/session/message-framer.ts';
import type { Stat } from '../shared/session/traffic-stats.ts';
import type { CloseOutcome, SessionEndListener } from '../shared/session/session-end.ts';
import type { Point } from '../shared/wire/point.ts';
import type { BroadcastBatch } from './broadcast-batch.ts';
import type { LentMessage } from './lent-message.ts';

/** An established session's I/O: the connection contract (MessageQueues, message-queues.ts). */
export interface SessionBackend {
  read(signal?: AbortSignal): Promise<FramedMessage>;
  /**
   * `read` without a signal and without a promise of its own: `waiter` gets the next message (or
   * the stream's error). Only after `readNow` returned `undefined`. A waiting `Connection.read`
   * is then one promise instead of two (bench/echo-path.ts).
   */
  waitForMessage(waiter: Settlers<FramedMessage>): void;
  readNow(): FramedMessage | undefined;
  /** `read`, the body lent rather than given (lent-message.ts); ends the lend before. */
  readLent(signal?: AbortSignal): Promise<LentMessage>;
  /** `readNow`, the body lent; ends the lend before. */
  readLentNow(): LentMessage | undefined;
  write(message: EncodedMessage, signal?: AbortSignal): Promise<void>;
  writeNow(message: EncodedMessage): boolean;
  writeSync(message: EncodedMessage, signal?: AbortSignal): Promise<void>;
  discardIncoming(): void;
  /** Resolves once the outgoing queue is at most half full and no writer waits; CONNECTION_CLOSED once closed. */
  whenWritable(signal?: AbortSignal): Promise<void>;
  /** Without `wait`, drops what is queued (and resets the socket if that was anything); resolves with what was dropped. */
  close(wait?: boolean): Promise<CloseOutcome>;
  /** Tells `listener` once the socket is gone, with how the session ended. */
  listenForEnd(listener: SessionEndListener): void;
  /** Bytes accepted and not yet handed to the socket, each message as its layout plus OUTGOING_ENTRY_COST. */
  readonly queuedOutgoingBytes: number;
  /** A broadcast's share for this connection, admitted as `writeNow` would; false when dropped or closed. */
  joinBroadcast(batch: BroadcastBatch<unknown>, layout: EncodedMessage): boolean;
  stat(): Stat;
  readonly closed: boolean;
  /** Resolves once the connection is gone (socket closed), locally or by the peer. */
  readonly ended: Promise<void>;
}

/** An authenticated, not yet accepted connection's remaining steps. */
export interface HandshakeBackend {
  /** Sends Ack and reads the peer's answer; rejects with the mapped errors of protocol.md §10.1. */
  accept(limits: SessionLimits, watch: <T>(operation: Promise<T>) => Promise<T>): Promise<SessionBackend>;
  nack(motive: number, points: readonly Point[]): Promise<void>;
  close(): Promise<void>;
}
