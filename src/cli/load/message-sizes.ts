/**
 * Message sizes of a load run: one size, a list picked uniformly (`--sizes`), or a weighted
 * distribution from a file (`--size-dist`, a JSON object `{"size": weight, ...}`).
 */
import { UsageError } from '../flag-parser.ts';
import { readOptionFile, SMALL_FILE_LIMIT } from '../option-file.ts';
import { LOAD_USAGE } from './load-usage.ts';
import { MAX_LOAD_SIZE, type SizeSpec } from './load-options.ts';

/** Sizes and their weights, as they cross to the generator processes. */
export interface SizeDistribution {
  readonly sizes: readonly number[];
  readonly weights: readonly number[];
}

export type SizePicker = () => number;

export async function resolveSizes(spec: SizeSpec): Promise<SizeDistribution> {
  if (spec.kind === 'fixed') return { sizes: spec.sizes, weights: spec.sizes.map(() => 1) };
  const text = await readOptionFile(spec.path, '--size-dist', SMALL_FILE_LIMIT, LOAD_USAGE);
  return parseSizeDistribution(text, spec.path);
}

export function parseSizeDistribution(text: string, name: string): SizeDistribution {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`--size-dist ${name}: not JSON`, LOAD_USAGE);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`--size-dist ${name}: expected {"size": weight, ...}`, LOAD_USAGE);
  const sizes: number[] = [];
  const weights: number[] = [];
  for (const [key, weight] of Object.entries(value)) {
    const size = /^[0-9]+$/.test(key) ? Number(key) : NaN;
    if (!(size >= 0 && size <= MAX_LOAD_SIZE) || typeof weight !== 'number' || !(weight >= 0) || !Number.isFinite(weight)) {
      throw new UsageError(`--size-dist ${name}: ${JSON.stringify(key)}: ${JSON.stringify(weight)} is not a size in [0, ${MAX_LOAD_SIZE}] with a weight ≥ 0`, LOAD_USAGE);
    }
    sizes.push(size);
    weights.push(weight);
  }
  if (!(weights.reduce((a, b) => a + b, 0) > 0)) throw new UsageError(`--size-dist ${name}: the weights add up to 0`, LOAD_USAGE);
  return { sizes, weights };
}

export function sizePicker(distribution: SizeDistribution): SizePicker {
  const { sizes, weights } = distribution;
  if (sizes.length === 1) {
    const only = sizes[0]!;
    return () => only;
  }
  const cumulative: number[] = [];
  let total = 0;
  for (const weight of weights) cumulative.push((total += weight));
  return () => {
    const x = Math.random() * total;
    let i = 0;
    while (i < cumulative.length - 1 && cumulative[i]! <= x) i++;
    return sizes[i]!;
  };
}

/** The mean size (what MB/s per message works out to). */
export function meanSize(distribution: SizeDistribution): number {
  const total = distribution.weights.reduce((a, b) => a + b, 0);
  return distribution.sizes.reduce((sum, size, i) => sum + size * distribution.weights[i]!, 0) / total;
}
