/**
 * Node mode's latencies per request kind: one HDR histogram per kind (latency-histogram.ts), so
 * `p99[head]` is as exact as the overall p99, and the kinds travel and merge the same way (one
 * compressed histogram per kind).
 */
import { decodeHistogram, encodeHistogram, newLatencyHistogram, percentilesMs, recordMs, type LatencyHistogram, type LatencyPercentiles } from './latency-histogram.ts';
import { isRequestKind, REQUEST_KINDS, type RequestKind } from './node-mix.ts';

/** Encoded histograms by kind (kinds without samples left out). */
export type EncodedKinds = Readonly<Partial<Record<RequestKind, string>>>;

export class KindHistograms {
  private readonly byKind = new Map<RequestKind, LatencyHistogram>();

  record(kind: RequestKind, ms: number): void {
    let histogram = this.byKind.get(kind);
    if (histogram === undefined) {
      histogram = newLatencyHistogram();
      this.byKind.set(kind, histogram);
    }
    recordMs(histogram, ms);
  }

  get(kind: RequestKind): LatencyHistogram | undefined {
    return this.byKind.get(kind);
  }

  /** Kinds with samples, in REQUEST_KINDS order. */
  kinds(): RequestKind[] {
    return REQUEST_KINDS.filter((kind) => (this.byKind.get(kind)?.totalCount ?? 0) > 0);
  }

  percentiles(): Partial<Record<RequestKind, LatencyPercentiles>> {
    return Object.fromEntries(this.kinds().map((kind) => [kind, percentilesMs(this.byKind.get(kind)!)]));
  }

  encode(): EncodedKinds {
    return Object.fromEntries(this.kinds().map((kind) => [kind, encodeHistogram(this.byKind.get(kind)!)]));
  }

  /** Adds every count of `encoded` (an exact merge). Unknown kinds are ignored. */
  addEncoded(encoded: Readonly<Record<string, string>>): void {
    for (const [kind, text] of Object.entries(encoded)) {
      if (!isRequestKind(kind)) continue;
      const part = decodeHistogram(text);
      let histogram = this.byKind.get(kind);
      if (histogram === undefined) {
        histogram = newLatencyHistogram();
        this.byKind.set(kind, histogram);
      }
      histogram.add(part);
      part.destroy();
    }
  }

  /** Every kind's counts in one histogram (the overall latency, added up exactly). */
  total(): LatencyHistogram {
    const total = newLatencyHistogram();
    for (const histogram of this.byKind.values()) total.add(histogram);
    return total;
  }

  static merged(list: ReadonlyArray<Readonly<Record<string, string>>>): KindHistograms {
    const merged = new KindHistograms();
    for (const encoded of list) merged.addEncoded(encoded);
    return merged;
  }

  reset(): void {
    for (const histogram of this.byKind.values()) histogram.reset();
  }

  destroy(): void {
    for (const histogram of this.byKind.values()) histogram.destroy();
    this.byKind.clear();
  }
}
