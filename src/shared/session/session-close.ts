/**
 * How the byte engine closes its session (protocol.md §9.4 `close`): with `wait`, the queued
 * messages are sent, then the bytes handed to the socket are flushed before the FIN; without, they
 * are dropped and the socket is reset when that dropped anything, so the peer can tell. One per
 * session, made by its first close: idle sessions carry none.
 */
import type { OutgoingLayouts } from './outgoing-layouts.ts';
import type { CloseOutcome } from './session-end.ts';
import type { SessionTransport } from './transport.ts';

export class SessionClose {
  private readonly transport: SessionTransport;
  private readonly outgoing: OutgoingLayouts;
  /** Ends the incoming side: nothing more is framed, the pending charge goes back. */
  private readonly endIncoming: () => void;
  private closing: Promise<CloseOutcome> | undefined;
  /** The close under way waits for the queued messages (`close(true)`). */
  private closingWaits = false;
  /** A close without wait overtook a waiting one, or asked for a reset: the socket is reset, not closed gracefully. */
  private forced = false;

  constructor(transport: SessionTransport, outgoing: OutgoingLayouts, endIncoming: () => void) {
    this.transport = transport;
    this.outgoing = outgoing;
    this.endIncoming = endIncoming;
  }

  /**
   * Closes the session. With `wait`, messages already queued are sent first, then bytes handed to
   * the socket are flushed before the FIN (protocol.md §9.4 `close`). Without, they are dropped
   * (the connection contract, message-queues.ts, fails their `writeSync` callers); when that dropped anything, the socket is
   * reset instead, so the peer can tell; `reset` asks for that whatever this close drops (a
   * shard's connection whose main dropped messages the shard never saw). Resolves with what was dropped.
   */
  close(wait: boolean, reset: boolean): Promise<CloseOutcome> {
    if (reset) this.forced = true;
    if (this.closing) {
      // A close without wait overtakes a waiting one (its timeout, an aborted signal): what is
      // queued is dropped, and a socket still flushing to a peer that does not read is reset
      // rather than given its close grace, so the wait's bound is the whole close's.
      if (!wait && (this.closingWaits || reset)) {
        this.forced = true;
        this.outgoing.drop();
        if (this.transport.closedLocally) void this.transport.reset();
      }
      return this.closing;
    }
    this.closingWaits = wait;
    this.closing = (async () => {
      if (wait) await this.outgoing.finish();
      this.outgoing.drop();
      this.endIncoming();
      const { droppedMessages, droppedBytes } = this.outgoing;
      await (droppedMessages > 0 || this.forced ? this.transport.reset() : this.transport.close());
      return { droppedMessages, droppedBytes };
    })();
    return this.closing;
  }
}
