/**
 * Short runs of the in-process fuzz targets (byte queue, chunk reader, wire decoders, ring) that
 * `npm run fuzz` runs by the million. FUZZ_SEED replays a failure.
 */
import { test } from 'node:test';
import fc from 'fast-check';
import { FUZZ_TARGETS } from './support/fuzz-targets.ts';

const seed = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);

for (const { name, property } of FUZZ_TARGETS) {
  test(`${name}: the model holds and every failure is typed (seed ${seed})`, () => {
    fc.assert(property, { numRuns: 2000, seed });
  });
}
