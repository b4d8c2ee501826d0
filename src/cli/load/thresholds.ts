/**
 * Pass/fail thresholds, k6-style: `p99<50ms`, `errors==0`, `msgs/s>10000`, and in node mode a
 * latency of one request kind, `p99[head]<5ms`. Parsed before anything starts (a typo is a usage
 * error, exit 2), checked against the summary at the end (any failure: exit 1).
 */
import { isRequestKind, REQUEST_KINDS, type RequestKind } from './node-mix.ts';

export type ThresholdMetric =
  | 'p50'
  | 'p90'
  | 'p99'
  | 'p999'
  | 'max'
  | 'errors'
  | 'handshake_errors'
  | 'connections'
  | 'msgs/s'
  | 'mb/s'
  | 'handshakes/s';

type Operator = '<' | '<=' | '>' | '>=' | '==' | '!=';

export interface Threshold {
  readonly expr: string;
  readonly metric: ThresholdMetric;
  /** A latency of this request kind only (`p99[head]`, node mode). */
  readonly kind?: RequestKind;
  readonly operator: Operator;
  /** In the metric's unit: milliseconds for latencies. */
  readonly value: number;
}

/** What a threshold is checked against; latencies in ms. */
type Latencies = { readonly p50: number; readonly p90: number; readonly p99: number; readonly p999: number; readonly max: number };

export interface ThresholdInputs {
  readonly latencyMs: Latencies;
  /** Node mode: each kind's latencies; a kind without answers is absent. */
  readonly latencyByKind?: Readonly<Partial<Record<RequestKind, Latencies>>>;
  readonly errors: number;
  readonly handshakeErrors: number;
  readonly connections: number;
  readonly msgsPerS: number;
  readonly mbPerS: number;
  readonly handshakesPerS: number;
}

export interface ThresholdResult {
  readonly expr: string;
  /** `null`: nothing to measure (a kind that got no answer), which fails the threshold. */
  readonly value: number | null;
  readonly ok: boolean;
}

const LATENCIES = new Set(['p50', 'p90', 'p99', 'p999', 'max']);
const ALIASES: Readonly<Record<string, ThresholdMetric>> = {
  'p99.9': 'p999',
  'rps': 'msgs/s',
  'msgs_per_s': 'msgs/s',
  'mb_per_s': 'mb/s',
  'handshakes_per_s': 'handshakes/s',
  'connections_reached': 'connections',
};
const METRICS = new Set<string>(['p50', 'p90', 'p99', 'p999', 'max', 'errors', 'handshake_errors', 'connections', 'msgs/s', 'mb/s', 'handshakes/s']);
const UNIT_MS: Readonly<Record<string, number>> = { us: 0.001, 'µs': 0.001, ms: 1, s: 1000 };

/** Thrown for an expression that does not parse; the CLI turns it into a usage error. */
export class ThresholdSyntaxError extends Error {}

export function parseThreshold(expr: string): Threshold {
  const m = /^\s*([a-z_][a-z0-9_./]*)(?:\[([a-z_]*)\])?\s*(<=|>=|==|!=|<|>)\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zµ]*)\s*$/i.exec(expr);
  if (!m) throw new ThresholdSyntaxError(`threshold ${JSON.stringify(expr)}: expected METRIC OP NUMBER[UNIT], e.g. 'p99<50ms', 'errors==0', 'msgs/s>10000', 'p99[head]<5ms'`);
  const name = m[1]!.toLowerCase();
  const metric = ALIASES[name] ?? name;
  if (!METRICS.has(metric)) {
    throw new ThresholdSyntaxError(`threshold ${JSON.stringify(expr)}: unknown metric ${JSON.stringify(m[1])} (one of ${[...METRICS].join(', ')})`);
  }
  const kindText = m[2]?.toLowerCase();
  if (kindText !== undefined) {
    if (!LATENCIES.has(metric)) throw new ThresholdSyntaxError(`threshold ${JSON.stringify(expr)}: only latencies (p50, p90, p99, p999, max) take a [kind]`);
    if (!isRequestKind(kindText)) throw new ThresholdSyntaxError(`threshold ${JSON.stringify(expr)}: unknown kind ${JSON.stringify(m[2])} (one of ${REQUEST_KINDS.join(', ')})`);
  }
  const unit = m[5]!.toLowerCase();
  let value = Number(m[4]);
  if (LATENCIES.has(metric)) {
    const scale = UNIT_MS[unit === '' ? 'ms' : unit];
    if (scale === undefined) throw new ThresholdSyntaxError(`threshold ${JSON.stringify(expr)}: latency unit must be us, ms or s`);
    value *= scale;
  } else if (unit !== '') {
    throw new ThresholdSyntaxError(`threshold ${JSON.stringify(expr)}: ${metric} takes no unit`);
  }
  const operator = m[3] as Operator;
  return kindText === undefined ? { expr: expr.trim(), metric: metric as ThresholdMetric, operator, value } : { expr: expr.trim(), metric: metric as ThresholdMetric, kind: kindText as RequestKind, operator, value };
}

export function metricValue(metric: ThresholdMetric, inputs: ThresholdInputs, kind?: RequestKind): number | null {
  switch (metric) {
    case 'p50':
    case 'p90':
    case 'p99':
    case 'p999':
    case 'max':
      if (kind !== undefined) return inputs.latencyByKind?.[kind]?.[metric] ?? null;
      return inputs.latencyMs[metric];
    case 'errors':
      return inputs.errors;
    case 'handshake_errors':
      return inputs.handshakeErrors;
    case 'connections':
      return inputs.connections;
    case 'msgs/s':
      return inputs.msgsPerS;
    case 'mb/s':
      return inputs.mbPerS;
    case 'handshakes/s':
      return inputs.handshakesPerS;
  }
}

export function checkThreshold(threshold: Threshold, inputs: ThresholdInputs): ThresholdResult {
  const value = metricValue(threshold.metric, inputs, threshold.kind);
  const limit = threshold.value;
  if (value === null) return { expr: threshold.expr, value, ok: false };
  const ok =
    threshold.operator === '<' ? value < limit
    : threshold.operator === '<=' ? value <= limit
    : threshold.operator === '>' ? value > limit
    : threshold.operator === '>=' ? value >= limit
    : threshold.operator === '==' ? value === limit
    : value !== limit;
  return { expr: threshold.expr, value, ok };
}
