/**
 * The summary of a load run: the JSON object other programs read (keys kept stable, docs/cli.md)
 * and the tables a person reads (cli-table3), with the percentile table autocannon made familiar.
 */
import Table from 'cli-table3';
import type { KindHistograms } from './kind-histograms.ts';
import { encodeHistogram, meanMs, percentilesMs, type LatencyHistogram, type LatencyPercentiles } from './latency-histogram.ts';
import { REQUEST_KINDS, type RequestKind } from './node-mix.ts';
import { checkThreshold, type Threshold, type ThresholdResult } from './thresholds.ts';

/** The JSON summary of `p2p-socket load` (and of `load merge`); these keys are a contract. */
export interface LoadSummary {
  readonly ok: boolean;
  readonly target: string;
  readonly mode: string;
  readonly connections_target: number;
  readonly connections_reached: number;
  readonly handshakes_ok: number;
  readonly handshake_errors: Readonly<Record<string, number>>;
  readonly errors: Readonly<Record<string, number>>;
  readonly messages_sent: number;
  readonly messages_received: number;
  /** Sent and never answered (echo) or not yet handed to the socket (send), at the end. */
  readonly messages_in_flight: number;
  readonly bytes_sent: number;
  readonly bytes_received: number;
  readonly msgs_per_s: number;
  readonly mb_per_s: number;
  readonly handshakes_per_s: number;
  readonly latency_ms: LatencyPercentiles;
  readonly generator_saturated: boolean;
  /** The measured window's latencies (µs), hdr-histogram-js compressed base64: merges exactly. */
  readonly histogram: string;
  readonly thresholds: readonly ThresholdResult[];
  /** Node mode: each request kind's counts and latencies; `{}` in the other modes. */
  readonly by_kind: Readonly<Partial<Record<RequestKind, KindSummary>>>;
  /** Node mode: the chain, the pace and whether it exceeded a real node's throttle; `null` otherwise. */
  readonly node: NodeRunSummary | null;
}

/** One request kind of a node-mode run. */
export interface KindSummary {
  /** Requests sent, answered, and given up unanswered (after --timeout), over the whole run. */
  readonly sent: number;
  readonly answered: number;
  readonly unanswered: number;
  /** Answers per second over the measured window. */
  readonly per_s: number;
  readonly latency_ms: LatencyPercentiles;
  /** The window's latencies of this kind, encoded like `histogram`. */
  readonly histogram: string;
}

export interface NodeRunSummary {
  /** `Net…`, as the target named it (or --chain-id). */
  readonly chain_id: string | null;
  readonly mix: string;
  /** Requests per second per connection; `null`: closed loop (--rate-per-connection max). */
  readonly rate_per_connection: number | null;
  /** Some request came sooner after the previous one of its kind than Octez v25's throttle allows. */
  readonly throttle_exceeded: boolean;
  /** How many, by kind. */
  readonly early_requests: Readonly<Record<string, number>>;
  /** Answers that matched no request: the node's own announcements (new heads). */
  readonly unsolicited: number;
}

/** Node mode's inputs to the summary. */
export interface NodeInputs {
  readonly kinds: KindHistograms;
  readonly requests: Readonly<Record<string, number>>;
  readonly answers: Readonly<Record<string, number>>;
  readonly unanswered: Readonly<Record<string, number>>;
  /** Answers in the window, by kind. */
  readonly windowAnswers: Readonly<Record<string, number>>;
  readonly windowSeconds: number;
  readonly run: Omit<NodeRunSummary, 'throttle_exceeded'>;
}

/** The keys of LoadSummary, in order (the test checks the JSON has exactly these). */
export const SUMMARY_KEYS = [
  'ok',
  'target',
  'mode',
  'connections_target',
  'connections_reached',
  'handshakes_ok',
  'handshake_errors',
  'errors',
  'messages_sent',
  'messages_received',
  'messages_in_flight',
  'bytes_sent',
  'bytes_received',
  'msgs_per_s',
  'mb_per_s',
  'handshakes_per_s',
  'latency_ms',
  'generator_saturated',
  'histogram',
  'thresholds',
  'by_kind',
  'node',
] as const;

export interface SummaryInputs {
  readonly target: string;
  readonly mode: string;
  readonly connectionsTarget: number;
  readonly connectionsReached: number;
  readonly handshakesOk: number;
  readonly handshakeErrors: Readonly<Record<string, number>>;
  readonly errors: Readonly<Record<string, number>>;
  readonly messagesSent: number;
  readonly messagesReceived: number;
  readonly messagesInFlight: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly msgsPerS: number;
  readonly mbPerS: number;
  readonly handshakesPerS: number;
  readonly histogram: LatencyHistogram;
  readonly generatorSaturated: boolean;
  /** Whatever else makes the run a failure (no connection, a generator process died). */
  readonly failed: boolean;
  /** Node mode only. */
  readonly node?: NodeInputs | undefined;
}

export function total(table: Readonly<Record<string, number>>): number {
  return Object.values(table).reduce((a, b) => a + b, 0);
}

function kindSummaries(node: NodeInputs | undefined): Partial<Record<RequestKind, KindSummary>> {
  if (node === undefined) return {};
  const seconds = Math.max(node.windowSeconds, 1e-3);
  const kinds = REQUEST_KINDS.filter((kind) => (node.requests[kind] ?? 0) > 0 || node.kinds.get(kind) !== undefined);
  return Object.fromEntries(
    kinds.map((kind) => {
      const histogram = node.kinds.get(kind);
      const summary: KindSummary = {
        sent: node.requests[kind] ?? 0,
        answered: node.answers[kind] ?? 0,
        unanswered: node.unanswered[kind] ?? 0,
        per_s: round((node.windowAnswers[kind] ?? 0) / seconds, 1),
        latency_ms: histogram === undefined ? { p50: 0, p90: 0, p99: 0, p999: 0, max: 0 } : percentilesMs(histogram),
        histogram: histogram === undefined ? '' : encodeHistogram(histogram),
      };
      return [kind, summary];
    }),
  );
}

export function buildSummary(inputs: SummaryInputs, thresholds: readonly Threshold[]): LoadSummary {
  const latency = percentilesMs(inputs.histogram);
  const byKind = kindSummaries(inputs.node);
  // Thresholds see the numbers the summary prints.
  const msgsPerS = round(inputs.msgsPerS, 1);
  const mbPerS = round(inputs.mbPerS, 3);
  const handshakesPerS = round(inputs.handshakesPerS, 1);
  const results = thresholds.map((threshold) =>
    checkThreshold(threshold, {
      latencyMs: latency,
      latencyByKind: Object.fromEntries(Object.entries(byKind).filter(([, k]) => k.answered > 0).map(([kind, k]) => [kind, k.latency_ms])),
      errors: total(inputs.errors),
      handshakeErrors: total(inputs.handshakeErrors),
      connections: inputs.connectionsReached,
      msgsPerS,
      mbPerS,
      handshakesPerS,
    }),
  );
  return {
    ok: !inputs.failed && results.every((r) => r.ok),
    target: inputs.target,
    mode: inputs.mode,
    connections_target: inputs.connectionsTarget,
    connections_reached: inputs.connectionsReached,
    handshakes_ok: inputs.handshakesOk,
    handshake_errors: sorted(inputs.handshakeErrors),
    errors: sorted(inputs.errors),
    messages_sent: inputs.messagesSent,
    messages_received: inputs.messagesReceived,
    messages_in_flight: inputs.messagesInFlight,
    bytes_sent: inputs.bytesSent,
    bytes_received: inputs.bytesReceived,
    msgs_per_s: msgsPerS,
    mb_per_s: mbPerS,
    handshakes_per_s: handshakesPerS,
    latency_ms: latency,
    generator_saturated: inputs.generatorSaturated,
    histogram: encodeHistogram(inputs.histogram),
    thresholds: results,
    by_kind: byKind,
    node: inputs.node === undefined ? null : { ...inputs.node.run, early_requests: sorted(inputs.node.run.early_requests), throttle_exceeded: total(inputs.node.run.early_requests) > 0 },
  };
}

function sorted(table: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(table).filter(([, n]) => n !== 0).sort(([a], [b]) => a.localeCompare(b)));
}

export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** No colours: the summary often lands in a file or a CI log. */
const TABLE_STYLE = { head: [] as string[], border: [] as string[] };

/** The tables a person reads after a run. */
export function summaryText(summary: LoadSummary, histogram: LatencyHistogram, notes: readonly string[]): string {
  const l = summary.latency_ms;
  const latency = new Table({ head: ['Latency', 'p50', 'p90', 'p99', 'p99.9', 'max', 'mean', 'samples'], style: TABLE_STYLE });
  latency.push(['ms', ...[l.p50, l.p90, l.p99, l.p999, l.max, meanMs(histogram)].map((v) => v.toFixed(2)), String(histogram.totalCount)]);
  const traffic = new Table({ head: ['Traffic', 'sent', 'received', 'in flight'], style: TABLE_STYLE });
  traffic.push(['messages', int(summary.messages_sent), int(summary.messages_received), int(summary.messages_in_flight)]);
  traffic.push(['bytes', int(summary.bytes_sent), int(summary.bytes_received), '']);
  const rates = new Table({ head: ['Rates (window)', 'msgs/s', 'MB/s', 'handshakes/s'], style: TABLE_STYLE });
  rates.push(['', int(summary.msgs_per_s), summary.mb_per_s.toFixed(2), int(summary.handshakes_per_s)]);
  const kindLines = nodeText(summary);
  const lines = [
    `${summary.mode} load on ${summary.target}: ${summary.connections_reached}/${summary.connections_target} connections, ${int(summary.handshakes_ok)} handshakes`,
    latency.toString(),
    traffic.toString(),
    rates.toString(),
    ...kindLines,
    `handshake errors: ${codes(summary.handshake_errors)}; errors: ${codes(summary.errors)}`,
    summary.generator_saturated
      ? 'generator SATURATED: the numbers are the generator\'s limit, not the target\'s (add --processes or another machine)'
      : 'generator not saturated',
    ...notes,
  ];
  for (const t of summary.thresholds) lines.push(`threshold ${t.ok ? 'ok  ' : 'FAIL'} ${t.expr} (value ${t.value ?? 'none: no answers of that kind'})`);
  lines.push(summary.ok ? 'ok' : 'FAILED');
  return lines.join('\n');
}

/** Node mode: the latency and counts of each kind, and the throttle verdict. */
function nodeText(summary: LoadSummary): string[] {
  const node = summary.node;
  if (node === null) return [];
  const table = new Table({ head: ['Request', 'sent', 'answered', 'unanswered', 'answers/s', 'p50', 'p90', 'p99', 'max (ms)'], style: TABLE_STYLE });
  for (const [kind, k] of Object.entries(summary.by_kind)) {
    const l = k.latency_ms;
    table.push([kind, int(k.sent), int(k.answered), int(k.unanswered), k.per_s.toFixed(1), ...[l.p50, l.p90, l.p99, l.max].map((v) => v.toFixed(2))]);
  }
  const pace = node.rate_per_connection === null ? 'closed loop' : `${node.rate_per_connection.toFixed(3)} requests/s per connection`;
  return [
    table.toString(),
    `chain ${node.chain_id ?? 'unknown'}, mix ${node.mix}, ${pace}; ${int(node.unsolicited)} unsolicited answers (the node's own announcements)`,
    node.throttle_exceeded
      ? `THROTTLE EXCEEDED: ${codes(node.early_requests)} requests came sooner than Octez v25 allows per connection (4 s per head/branch request, 0.1 s per bootstrap): a real node would have delayed them, and their latency with them`
      : 'within Octez v25\'s per-connection throttles',
  ];
}

export function codes(table: Readonly<Record<string, number>>): string {
  const entries = Object.entries(table);
  return entries.length === 0 ? 'none' : entries.map(([code, n]) => `${code} ×${n}`).join(', ');
}

function int(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
