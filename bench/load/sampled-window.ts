/**
 * A child's measurement window (bench/load/child.ts). The parent opens and closes a window at its
 * own wall-clock times; each child cuts it from samples it took every SAMPLE_MS, at those times,
 * rather than from when its event loop got round to the commands. A saturated client (W6: 1,000
 * connections of 16 KiB messages) handled `mark` up to 3 s late, right before `report`, and the
 * window taken at handling time was 8 ms with no message in it: W6 reported 0 messages/s in about
 * 1 run in 8. A saturated W6 server handled `report` seconds late, so its CPU per message, counted
 * over its own longer window against the client's messages, read 75–175 µs instead of ~22.
 */
import { performance } from 'node:perf_hooks';

/** What a side counts, at one instant of its own `performance.now()` clock. */
export interface Mark {
  readonly at: number;
  readonly cpu: NodeJS.CpuUsage;
  readonly main: NodeJS.CpuUsage;
  readonly ops: number;
  readonly bytes: number;
  readonly accepted: number;
  readonly failures: number;
}

/** Window samples: every 50 ms, the last 5 minutes at most. */
export const SAMPLE_MS = 50;
export const MAX_SAMPLES = 6000;

/**
 * Pushes `snapshot()` into `samples` now and then every SAMPLE_MS, keeping the last MAX_SAMPLES;
 * returns the timer to clear when the window is cut.
 */
export function startSampling(samples: Mark[], snapshot: () => Mark): NodeJS.Timeout {
  samples.push(snapshot());
  return setInterval(() => pushSample(samples, snapshot()), SAMPLE_MS);
}

function pushSample(samples: Mark[], sample: Mark): void {
  samples.push(sample);
  if (samples.length > MAX_SAMPLES) samples.splice(0, samples.length - MAX_SAMPLES);
}

/**
 * Takes a sample when the last one is SAMPLE_MS old or more (`now`: this process's
 * `performance.now()`). Called where messages arrive, it keeps samples coming while the event
 * loop is too busy for the sampling timer: a receiver's callbacks run exactly when it is busy.
 * Nothing happens before `startSampling` put the first sample in.
 */
export function sampleIfDue(samples: Mark[], snapshot: () => Mark, now: number): void {
  const last = samples[samples.length - 1];
  if (last !== undefined && now - last.at >= SAMPLE_MS) pushSample(samples, snapshot());
}

/** A time of the parent's (`epochMs()`) on this process's `performance.now()` clock. */
export function childTime(epoch: number): number {
  return epoch - performance.timeOrigin;
}

/**
 * The samples that bound the window [markAt, reportAt] (child clock): the first sample at or
 * after `markAt`, and the last one at or before `reportAt` that is later than it (else the last
 * sample, taken when `report` was handled). Without samples, `handledMark` (taken when `mark` was
 * handled) opens the window.
 */
export function sampledWindow(samples: readonly Mark[], handledMark: Mark, markAt: number, reportAt: number): { from: Mark; to: Mark } {
  const last = samples[samples.length - 1];
  if (samples.length < 2 || !last) return { from: handledMark, to: last ?? handledMark };
  const from = samples.find((s) => s.at >= markAt) ?? last;
  for (let i = samples.length - 1; i >= 0; i--) {
    const sample = samples[i]!;
    if (sample.at <= reportAt) return { from, to: sample.at > from.at ? sample : last };
  }
  return { from, to: last };
}
