/**
 * A piscina task (test/pow-pool-teardown.test.ts): can this worker `require()` an ES module? It
 * answers 'loaded' when require(esm) is on, else the error code `require()` threw.
 */
import { createRequire } from 'node:module';

const requireHere = createRequire(import.meta.url);

export default function requireEsmProbe(): string {
  try {
    requireHere('./esm-only-module.mjs');
    return 'loaded';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}
