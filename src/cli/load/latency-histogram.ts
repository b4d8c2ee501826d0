/**
 * Latency in HDR histograms (hdr-histogram-js): microseconds from 1 µs to an hour at 3
 * significant digits, so any percentile is within 0.1 % of the truth whatever the spread. A
 * histogram travels as the library's compressed base64 encoding, so the histograms of several
 * generator processes, or of runs on several machines, merge exactly (counts add bucket by
 * bucket) instead of averaging percentiles, which is meaningless.
 */
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';

export type LatencyHistogram = Histogram;

/** An hour, in µs: longer "latencies" are clamped (a run that long measures nothing useful). */
const HIGHEST_US = 3_600_000_000;

export function newLatencyHistogram(): LatencyHistogram {
  return build({ bitBucketSize: 64, useWebAssembly: false, lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3 });
}

/** Records a latency given in milliseconds (performance.now() differences). */
export function recordMs(histogram: LatencyHistogram, ms: number): void {
  histogram.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000))));
}

export function encodeHistogram(histogram: LatencyHistogram): string {
  return encodeIntoCompressedBase64(histogram);
}

export function decodeHistogram(encoded: string): LatencyHistogram {
  const decoded = decodeFromCompressedBase64(encoded, 64, false);
  // Decoded histograms keep the sender's range; copy into ours so that `add` never overflows.
  const histogram = newLatencyHistogram();
  histogram.add(decoded);
  decoded.destroy();
  return histogram;
}

/** One histogram holding every count of `encoded` (exact merge). */
export function mergeEncoded(encoded: readonly string[]): LatencyHistogram {
  const merged = newLatencyHistogram();
  for (const text of encoded) {
    const part = decodeHistogram(text);
    merged.add(part);
    part.destroy();
  }
  return merged;
}

export interface LatencyPercentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** The summary's `latency_ms`; all 0 for an empty histogram. */
export function percentilesMs(histogram: LatencyHistogram): LatencyPercentiles {
  const at = (p: number): number => (histogram.totalCount === 0 ? 0 : toMs(histogram.getValueAtPercentile(p)));
  // max as the top bucket's bound (p100), like every other percentile: a histogram that went
  // through encode/decode no longer knows the exact max, and the merged one must not differ.
  return { p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: at(100) };
}

export function meanMs(histogram: LatencyHistogram): number {
  return histogram.totalCount === 0 ? 0 : toMs(histogram.mean);
}

/** µs to ms, rounded to the µs. */
function toMs(us: number): number {
  return Math.round(us) / 1000;
}

/**
 * The latency distribution as (percentile, ms) points on HdrHistogram's usual scale, where each
 * step halves the distance to 100 % (the report's distribution chart).
 */
export function distributionMs(histogram: LatencyHistogram): Array<{ readonly percentile: number; readonly ms: number }> {
  if (histogram.totalCount === 0) return [];
  const points: Array<{ percentile: number; ms: number }> = [];
  for (let remaining = 100; remaining > 0.0005; remaining /= Math.SQRT2) {
    const percentile = 100 - remaining;
    points.push({ percentile, ms: toMs(histogram.getValueAtPercentile(percentile)) });
  }
  points.push({ percentile: 100, ms: toMs(histogram.getValueAtPercentile(100)) });
  return points;
}
