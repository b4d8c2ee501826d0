/**
 * The counters of one generator process: connections, handshakes, messages, bytes and failures by
 * code, cumulative; a tick carries a copy to the parent, which adds them up table by table.
 */
import { failureKey } from './failure-key.ts';

/** Cumulative counters of one process (a tick carries a copy). */
export interface GeneratorCounters {
  connectionsUp: number;
  peakConnections: number;
  handshakesOk: number;
  handshakeErrors: Record<string, number>;
  errors: Record<string, number>;
  messagesSent: number;
  messagesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  /** Sent and not yet answered (echo, node) or handed to the socket (send). */
  inFlight: number;
  /** Node mode, by request kind: requests sent, answered, given up on (no answer in time). */
  requests: Record<string, number>;
  answers: Record<string, number>;
  unanswered: Record<string, number>;
  /** Node mode: requests sent sooner after the previous one of their kind than Octez v25's throttle spacing. */
  early: Record<string, number>;
  /** Node mode: answers that came with no request of their kind outstanding (a node's own Current_head). */
  unsolicited: number;
  /** Node mode: the chain the target named (`Net…`), once known. */
  chainId: string | undefined;
}

export function newCounters(): GeneratorCounters {
  return {
    connectionsUp: 0,
    peakConnections: 0,
    handshakesOk: 0,
    handshakeErrors: {},
    errors: {},
    messagesSent: 0,
    messagesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    inFlight: 0,
    requests: {},
    answers: {},
    unanswered: {},
    early: {},
    unsolicited: 0,
    chainId: undefined,
  };
}

/** The counters' tables by code or kind, which add up code by code. */
export const COUNTER_TABLES = ['handshakeErrors', 'errors', 'requests', 'answers', 'unanswered', 'early'] as const;

export function copyCounters(c: GeneratorCounters): GeneratorCounters {
  const copy = { ...c };
  for (const table of COUNTER_TABLES) copy[table] = { ...c[table] };
  return copy;
}

/** Counts one failure under its key (failure-key.ts). */
export function countFailure(table: Record<string, number>, error: unknown): void {
  countCode(table, failureKey(error));
}

export function countCode(table: Record<string, number>, code: string): void {
  table[code] = (table[code] ?? 0) + 1;
}
