/**
 * `p2p-socket identity generate --count K --out ids.json`: K identities over every core
 * (generate-identities.ts), with progress on a terminal, written as one JSON array.
 */
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateIdentities } from '../main/generate-identities.ts';
import type { IdentityGenerateOptions } from './identity-options.ts';
import { writeIdentitiesFile } from './identities-file.ts';
import { count, round } from './identity-command.ts';
import { errorJson, errorText, type Output } from './output.ts';

export async function runIdentityBatch(options: IdentityGenerateOptions, total: number, output: Output): Promise<number> {
  const file = resolve(options.out);
  const started = performance.now();
  let drawn = -Infinity;
  try {
    const identities = await generateIdentities({
      count: total,
      difficulty: options.difficulty,
      onProgress: ({ found, attempts, seconds, hashesPerSecond }) => {
        if (seconds - drawn < 0.1) return;
        drawn = seconds;
        output.progress(`difficulty ${options.difficulty}: ${found}/${total} identities, ${count(attempts)} hashes, ${count(hashesPerSecond)} hashes/s, ${seconds.toFixed(1)} s`);
      },
    });
    output.clearProgress();
    await writeIdentitiesFile(file, identities);
    const seconds = (performance.now() - started) / 1000;
    output.summary(
      'identity generate',
      { ok: true, file, count: identities.length, difficulty: options.difficulty, seconds: round(seconds, 3), error: null },
      `${identities.length} identities at difficulty ${options.difficulty} in ${seconds.toFixed(1)} s, written to ${file}`,
    );
    return 0;
  } catch (error) {
    output.clearProgress();
    output.summary('identity generate', { ok: false, file, error: errorJson(error) }, `identity generate failed: ${errorText(error)}`);
    return 1;
  }
}
