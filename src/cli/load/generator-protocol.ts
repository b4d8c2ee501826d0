/**
 * What the load command (parent) and its generator processes say to each other over IPC:
 *
 *   parent → start {spec, sizes, identities}      child → ramped          (every connection tried)
 *                                                 child → tick  (every 250 ms, counters + histogram)
 *   parent → measure                              (the measured window opens)
 *   parent → stop                                 child → result (window counters + histogram), exit
 *
 * Histograms travel encoded (latency-histogram.ts) so that the parent merges them exactly.
 */
import type { IdentityJson } from '../../shared/identity.ts';
import type { EncodedKinds } from './kind-histograms.ts';
import type { GeneratorCounters } from './generator-counters.ts';
import type { GeneratorSpec } from './generator-spec.ts';
import type { SizeDistribution } from './message-sizes.ts';

export type ParentMessage =
  | { readonly kind: 'start'; readonly spec: GeneratorSpec; readonly sizes: SizeDistribution; readonly identities: readonly IdentityJson[] }
  | { readonly kind: 'measure' }
  | { readonly kind: 'stop' };

export interface Tick {
  readonly kind: 'tick';
  readonly counters: GeneratorCounters;
  /** Latencies since the previous tick, encoded. */
  readonly histogram: string;
  /** Node mode: the same by request kind. */
  readonly kinds: EncodedKinds;
  /** Fraction of the interval the event loop was busy (1: saturated). */
  readonly busy: number;
}

export interface GeneratorResult {
  readonly kind: 'result';
  /** Counters at the end, after the drain. */
  readonly counters: GeneratorCounters;
  /** Counters when the window opened and when it closed. */
  readonly windowStart: GeneratorCounters;
  readonly windowEnd: GeneratorCounters;
  readonly windowMs: number;
  /** Latencies of the window, encoded. */
  readonly histogram: string;
  /** Node mode: the window's latencies by request kind. */
  readonly kinds: EncodedKinds;
}

export type ChildMessage = { readonly kind: 'ramped' } | Tick | GeneratorResult | { readonly kind: 'failed'; readonly message: string };
