/**
 * The main thread's garbage collection over a measured window, from perf_hooks 'gc' entries:
 * total pause time and the count of full mark-compacts. A shard's GC is in its CPU, not here.
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';

export interface GcTotals {
  readonly gcMs: number;
  readonly majors: number;
}

/** Starts watching; `stop` resolves with the totals once the last entries of the window are in. */
export function watchGc(): { stop(): Promise<GcTotals> } {
  let gcMs = 0;
  let majors = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcMs += entry.duration;
      if (((entry as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    async stop() {
      await new Promise((resolve) => setImmediate(resolve)); // the last gc entries
      observer.disconnect();
      return { gcMs, majors };
    },
  };
}
