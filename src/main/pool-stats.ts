/**
 * A pool's tallies and its `stats()`: the counters main keeps as connections open, fail and end,
 * and the sums over the established ones (protocol.md §12.2 for `io`). Metrics read the same
 * numbers (pool-metrics.ts).
 */
import type { Stat } from '../shared/session/traffic-stats.ts';
import type { Connection } from './connection.ts';
import type { ShardStats } from './pool-engine.ts';

export interface PoolStats {
  readonly connections: number;
  readonly handshakesInFlight: number;
  /** Bytes unfinished incoming messages hold, all shards together (see `maxPendingMessageBytes`). */
  readonly pendingMessageBytes: number;
  readonly handshakes: { readonly incoming: number; readonly outgoing: number; readonly failed: number };
  readonly accepted: number;
  readonly nacked: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly shards: readonly ShardStats[];
  /** `broadcast` calls, and the ring bytes (records and their headers) they sent to shards. */
  readonly broadcasts: { readonly messages: number; readonly ringBytes: number };
  /** Established connections by direction. */
  readonly connectionsByDirection: { readonly incoming: number; readonly outgoing: number };
  /** Messages queued and delivered by every connection the pool established, ended ones included. */
  readonly messages: { readonly sent: number; readonly received: number };
  /**
   * `P2p_stat` of the whole pool (protocol.md §12.2): wire totals of every connection it
   * established (ended ones included), rates summed over the established ones.
   */
  readonly io: Stat;
}

/** What `stats()` reads elsewhere than in the tallies: admission, the budget, the engine. */
export interface LiveCounts {
  readonly handshakesInFlight: number;
  readonly pendingMessageBytes: number;
  readonly shards: readonly ShardStats[];
}

export class PoolTally {
  /** Handshakes started and failed by direction, and the policy's accepts and nacks. */
  readonly counters = { incoming: 0, outgoing: 0, failed: 0, accepted: 0, nacked: 0 };
  readonly broadcasts = { messages: 0, ringBytes: 0 };
  private readonly errorCounts: Record<string, number> = {};
  /** Wire bytes and messages of ended connections, so totals never go down. */
  private readonly endedTraffic = { totalSent: 0, totalRecv: 0, messagesSent: 0, messagesReceived: 0 };

  /** One more failure or refusal under `code` in `stats().errors`. */
  count(code: string): void {
    this.errorCounts[code] = (this.errorCounts[code] ?? 0) + 1;
  }

  /** Keeps the totals of a connection that ended. */
  ended<Msg, Meta>(conn: Connection<Msg, Meta>): void {
    const stat = conn.stat();
    const counts = conn.messageCounts;
    this.endedTraffic.totalSent += stat.totalSent;
    this.endedTraffic.totalRecv += stat.totalRecv;
    this.endedTraffic.messagesSent += counts.sent;
    this.endedTraffic.messagesReceived += counts.received;
  }

  /** The pool's `stats()`: these tallies, plus the sums over the `active` (established) connections. */
  stats<Msg, Meta>(active: ReadonlySet<Connection<Msg, Meta>>, live: LiveCounts): PoolStats {
    const ended = this.endedTraffic;
    const io = { totalSent: ended.totalSent, totalRecv: ended.totalRecv, currentInflow: 0, currentOutflow: 0 };
    const messages = { sent: ended.messagesSent, received: ended.messagesReceived };
    const connectionsByDirection = { incoming: 0, outgoing: 0 };
    for (const conn of active) {
      const stat = conn.stat();
      io.totalSent += stat.totalSent;
      io.totalRecv += stat.totalRecv;
      io.currentInflow += stat.currentInflow;
      io.currentOutflow += stat.currentOutflow;
      const counts = conn.messageCounts;
      messages.sent += counts.sent;
      messages.received += counts.received;
      if (conn.info.incoming) connectionsByDirection.incoming++;
      else connectionsByDirection.outgoing++;
    }
    return {
      connections: active.size,
      handshakesInFlight: live.handshakesInFlight,
      pendingMessageBytes: live.pendingMessageBytes,
      handshakes: { incoming: this.counters.incoming, outgoing: this.counters.outgoing, failed: this.counters.failed },
      accepted: this.counters.accepted,
      nacked: this.counters.nacked,
      errors: { ...this.errorCounts },
      shards: live.shards,
      broadcasts: { ...this.broadcasts },
      connectionsByDirection,
      messages,
      io,
    };
  }
}
