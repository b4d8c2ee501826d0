/**
 * What the young generation of one thread did over a window: bytes allocated there, bytes that
 * survived a scavenge (copied within new space or promoted), scavenges, and the new space's size
 * at the end. V8 grows the semi-space whenever the bytes surviving scavenges since its last
 * growth exceed its capacity, and keeps the pages (docs/architecture.md §4c), so the survivors of
 * a burst of handshakes decide how much RSS it leaves behind. Read from `v8.GCProfiler`, which
 * records every collection's heap spaces before and after.
 */
import { GCProfiler, getHeapSpaceStatistics } from 'node:v8';

export interface YoungGenWindow {
  readonly scavenges: number;
  readonly fullGcs: number;
  /** Bytes allocated in new space (and new large-object space) during the window. */
  readonly allocated: number;
  /** Bytes scavenges kept: copied within new space plus promoted to old space. */
  readonly survived: number;
  /** Of `survived`, promoted. */
  readonly promoted: number;
  /** New space capacity (semi-space size × 2 in V8's accounting) and physical bytes at the end. */
  readonly newSpaceSize: number;
  readonly newSpacePhysical: number;
}

type SpaceStats = { spaceName: string; spaceUsedSize: number };
interface GcEvent {
  gcType: string;
  beforeGC: { heapSpaceStatistics: SpaceStats[] };
  afterGC: { heapSpaceStatistics: SpaceStats[] };
}

const YOUNG = new Set(['new_space', 'new_large_object_space']);
const OLD = new Set(['old_space', 'large_object_space']);

function used(spaces: SpaceStats[], names: Set<string>): number {
  let sum = 0;
  for (const s of spaces) if (names.has(s.spaceName)) sum += s.spaceUsedSize;
  return sum;
}

function youngNow(): number {
  let sum = 0;
  for (const s of getHeapSpaceStatistics()) if (YOUNG.has(s.space_name)) sum += s.space_used_size;
  return sum;
}

/** Starts recording this thread's collections; the returned function ends the window. */
export function startYoungGenWindow(): () => YoungGenWindow {
  const profiler = new GCProfiler();
  let youngAtStart = youngNow();
  profiler.start();
  return () => {
    const youngAtEnd = youngNow();
    const events = (profiler.stop()?.statistics ?? []) as unknown as GcEvent[];
    let allocated = 0;
    let survived = 0;
    let promoted = 0;
    let scavenges = 0;
    let fullGcs = 0;
    let youngAfterLast = youngAtStart;
    for (const e of events) {
      const before = e.beforeGC.heapSpaceStatistics;
      const after = e.afterGC.heapSpaceStatistics;
      const youngBefore = used(before, YOUNG);
      allocated += Math.max(0, youngBefore - youngAfterLast);
      const youngAfter = used(after, YOUNG);
      if (e.gcType === 'Scavenge' || e.gcType === 'MinorMarkSweep') {
        scavenges++;
        const up = Math.max(0, used(after, OLD) - used(before, OLD));
        promoted += up;
        survived += youngAfter + up;
      } else {
        fullGcs++;
      }
      youngAfterLast = youngAfter;
    }
    allocated += Math.max(0, youngAtEnd - youngAfterLast);
    youngAtStart = youngAtEnd;
    const newSpace = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    return { scavenges, fullGcs, allocated, survived, promoted, newSpaceSize: newSpace?.space_size ?? 0, newSpacePhysical: newSpace?.physical_space_size ?? 0 };
  };
}
