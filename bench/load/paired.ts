/**
 * Ratios of two workloads run in pairs (W6: broadcast and unicast alternated, run 1 of each, then
 * run 2 of each …): one ratio per pair, then their spread. Dividing medians taken from different
 * runs mixes machine states; a pair shares one, so its ratio does not move with the load.
 */
import { spread, type Spread } from '../common.ts';
import type { RunResult, WorkloadDefinition } from './workload.ts';

/**
 * The run that stands for run slot `run`: its clean attempt (a slot is retried until one is clean),
 * else its last attempt; undefined when the slot has none.
 */
export function slotRun(runs: readonly RunResult[], run: number): RunResult | undefined {
  const attempts = runs.filter((r) => r.run === run);
  return attempts.find((r) => !r.noisy) ?? attempts[attempts.length - 1];
}

/**
 * `value(a) ÷ value(b)` for every run slot both have with a finite, non-zero divisor, and the
 * spread of those ratios (undefined when no pair has both).
 */
export function pairedRatios(
  a: readonly RunResult[],
  b: readonly RunResult[],
  value: (result: RunResult) => number | undefined,
): { readonly ratios: number[]; readonly spread: Spread | undefined } {
  const slots = [...new Set(a.map((r) => r.run))].sort((x, y) => x - y);
  const ratios: number[] = [];
  for (const run of slots) {
    const left = slotRun(a, run);
    const right = slotRun(b, run);
    const top = left && value(left);
    const bottom = right && value(right);
    if (top === undefined || bottom === undefined || !Number.isFinite(top) || !Number.isFinite(bottom) || bottom === 0) continue;
    ratios.push(top / bottom);
  }
  return { ratios, spread: ratios.length > 0 ? spread(ratios) : undefined };
}

/**
 * The selected workloads in run order, each with the workload it is paired with (`pairedWith`)
 * when both are selected: a group's runs alternate, run 1 of each, then run 2 of each ….
 */
export function runGroups(workloads: readonly WorkloadDefinition[]): WorkloadDefinition[][] {
  const groups: WorkloadDefinition[][] = [];
  for (const workload of workloads) {
    const group = groups.find((g) => g.some((w) => w.pairedWith === workload.id || workload.pairedWith === w.id));
    if (group) group.push(workload);
    else groups.push([workload]);
  }
  return groups;
}
