/**
 * Per-message costs that do not move with the machine's load, measured over a window of a
 * running benchmark (bench/echo-path.ts): JS heap bytes allocated, objects allocated by site (a
 * sampling heap profile that keeps collected objects), promises created (an async_hooks `init`
 * hook), and syscalls (`strace -f -c` attached to this process). Each is taken in a window of
 * its own, since the hook and the tracer slow the process down.
 */
import { createHook } from 'node:async_hooks';
import { spawn } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import { GCProfiler, getHeapStatistics } from 'node:v8';

/** A window: runs `work` and returns how many messages it handled. */
export type Window = () => Promise<number>;

/**
 * JS heap bytes allocated per message over the window: the heap's growth plus what each garbage
 * collection meanwhile freed (v8.GCProfiler), so collections do not hide allocations.
 */
export async function heapBytesPerMessage(window: Window): Promise<number> {
  const profiler = new GCProfiler();
  const before = getHeapStatistics().used_heap_size;
  profiler.start();
  const messages = await window();
  const after = getHeapStatistics().used_heap_size;
  const report = profiler.stop();
  let freed = 0;
  for (const gc of report?.statistics ?? []) freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
  return (after - before + freed) / messages;
}

/** Promises created per message (async_hooks PROMISE inits). */
export async function promisesPerMessage(window: Window): Promise<number> {
  let promises = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === 'PROMISE') promises++;
    },
  });
  hook.enable();
  try {
    const messages = await window();
    return promises / messages;
  } finally {
    hook.disable();
  }
}

export interface AllocationSite {
  /** `function file:line`, innermost first, three frames deep. */
  readonly site: string;
  readonly bytes: number;
  readonly objects: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}

/**
 * Objects and bytes allocated per message by allocation site (three frames), largest first:
 * V8's sampling heap profiler with collected objects kept, whose sizes are scaled estimates.
 */
export async function allocationSites(window: Window, samplingInterval = 64): Promise<{ sites: AllocationSite[]; objects: number; bytes: number }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('HeapProfiler.startSampling', { samplingInterval, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    const messages = await window();
    const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode; samples: Array<{ size: number; nodeId: number }> } };
    // Mean sampled object size per node, to turn its (scaled) bytes into objects.
    const sampled = new Map<number, { count: number; size: number }>();
    for (const { size, nodeId } of profile.samples) {
      const entry = sampled.get(nodeId) ?? { count: 0, size: 0 };
      entry.count++;
      entry.size += size;
      sampled.set(nodeId, entry);
    }
    const bySite = new Map<string, { bytes: number; objects: number }>();
    const walk = (node: ProfileNode, stack: string[]): void => {
      const { functionName, url, lineNumber } = node.callFrame;
      const frames = [`${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`, ...stack].slice(0, 3);
      const seen = sampled.get(node.id);
      if (node.selfSize > 0 && seen) {
        const key = frames.join(' < ');
        const entry = bySite.get(key) ?? { bytes: 0, objects: 0 };
        entry.bytes += node.selfSize;
        entry.objects += node.selfSize / (seen.size / seen.count);
        bySite.set(key, entry);
      }
      for (const child of node.children) walk(child, frames);
    };
    walk(profile.head, []);
    const sites = [...bySite].map(([site, { bytes, objects }]) => ({ site, bytes: bytes / messages, objects: objects / messages })).sort((a, b) => b.bytes - a.bytes);
    return { sites, objects: sites.reduce((sum, s) => sum + s.objects, 0), bytes: sites.reduce((sum, s) => sum + s.bytes, 0) };
  } finally {
    session.disconnect();
  }
}

/**
 * Syscalls per message of this process, all threads (`strace -f -c -p`), by name, or undefined
 * without strace: `window` runs once strace has attached, and strace is stopped when it returns.
 * Call it on a quiet process, so that the window's messages are all that strace sees.
 */
export async function syscallsPerMessage(window: Window): Promise<{ total: number; byName: Record<string, number> } | undefined> {
  const tracer = spawn('strace', ['-f', '-c', '-p', String(process.pid)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  const attached = new Promise<boolean>((resolve) => {
    tracer.on('error', () => resolve(false));
    tracer.stderr.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('attached')) resolve(true);
    });
  });
  if (!(await attached)) return undefined;
  const messages = await window();
  const exited = new Promise((resolve) => tracer.on('exit', resolve));
  tracer.kill('SIGINT');
  await exited;
  const byName: Record<string, number> = {};
  let total = 0;
  // Rows: % time, seconds, usecs/call, calls, [errors], syscall.
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const name = fields.at(-1)!;
    if (fields.length < 5 || !/^\d/.test(fields[0]!) || name === 'total') continue;
    const calls = Number(fields[3]);
    if (!Number.isFinite(calls)) continue;
    byName[name] = calls / messages;
    total += calls;
  }
  return { total: total / messages, byName };
}
