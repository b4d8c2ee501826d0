/**
 * The seam between the connection contract (message-queues.ts, the same in both modes) and
 * whatever owns the socket: the byte engine on this thread (direct-link.ts, inline) or a shard
 * through the rings, with credit (ring-link.ts, sharded). A behaviour a user can see that
 * differs between the two is a bug here, never a second copy of a semantic (architecture.md).
 */
import type { P2pError } from '../shared/errors.ts';
import type { EncodedMessage } from '../shared/session/encoded-message.ts';
import type { FramedMessage } from '../shared/session/message-framer.ts';
import type { Stat } from '../shared/session/traffic-stats.ts';
import type { BroadcastBatch } from './broadcast-batch.ts';

/** Down: what the queues ask of the socket side. */
export interface SessionLink {
  /** Called once by the queues this link serves. */
  attach(queues: LinkedQueues): void;
  /** Sends an accepted layout; its bytes are the link's now. Reported back with `onWritten`. */
  send(message: EncodedMessage): void;
  /** A broadcast's layout for this connection, already counted by the queues (broadcast-batch.ts). */
  joinBroadcast(batch: BroadcastBatch<unknown>, layout: EncodedMessage): void;
  /** The reader took `bytes` off the incoming queue (each message: its size plus INCOMING_ENTRY_COST). */
  credit(bytes: number): void;
  /** Closes the socket side: with `wait` after what was sent, else dropping it. Reported with `onEnded`. */
  close(wait: boolean): void;
  /** Wire bytes and rates. */
  stat(): Stat;
  /** The memory of a released lent body (detached from every view of it), for later bodies to reuse. */
  takeBack(memory: ArrayBuffer): void;
}

/** Up: what the socket side reports to the queues. */
export interface LinkedQueues {
  onMessage(message: FramedMessage): void;
  /** Whole messages handed to the socket, and the layout bytes (parts included) written since the last report. */
  onWritten(messages: number, bytes: number): void;
  /** The stream ended (`error`: what ended it, none for an orderly close); once. */
  onEnded(error: P2pError | undefined): void;
}
