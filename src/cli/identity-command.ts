/**
 * `p2p-socket identity generate` and `identity show`: identity.json in the node's layout
 * (protocol.md §12.3), generated over every core and checked as the node reads it.
 */
import { resolve } from 'node:path';
import { stampDifficulty } from '../shared/crypto/pow.ts';
import { writeIdentityFile, type Identity } from '../shared/identity.ts';
import { readIdentityOption } from './identities-file.ts';
import { failureStatus } from './exit-status.ts';
import { IDENTITY_SHOW_USAGE } from './usage.ts';
import { generateIdentity } from '../main/generate-identity.ts';
import type { IdentityGenerateOptions, IdentityShowOptions } from './identity-options.ts';
import { runIdentityBatch } from './identity-batch-command.ts';
import { errorJson, errorText, type Output } from './output.ts';

export async function runIdentityGenerate(options: IdentityGenerateOptions, output: Output): Promise<number> {
  if (options.count !== undefined) return runIdentityBatch(options, options.count, output);
  const file = resolve(options.out);
  const expected = 2 ** options.difficulty;
  let drawn = -Infinity;
  try {
    const result = await generateIdentity({
      difficulty: options.difficulty,
      onProgress: ({ attempts, seconds, hashesPerSecond }) => {
        // Every thread reports each round (~15 a second each): redraw at most 10 times a second.
        if (seconds - drawn < 0.1) return;
        drawn = seconds;
        output.progress(
          `difficulty ${options.difficulty}: ${count(attempts)} hashes (~${count(expected)} expected), ` +
            `${count(hashesPerSecond)} hashes/s, ${seconds.toFixed(1)} s`,
        );
      },
    });
    output.clearProgress();
    await writeIdentityFile(file, result.identity);
    output.summary(
      'identity generate',
      {
        ok: true,
        file,
        peer_id: result.identity.peerId,
        difficulty: options.difficulty,
        attempts: result.attempts,
        seconds: round(result.seconds, 3),
        hashes_per_second: Math.round(result.hashesPerSecond),
        error: null,
      },
      [
        `peer id: ${result.identity.peerId}`,
        `difficulty: ${options.difficulty}`,
        `attempts: ${result.attempts}`,
        `seconds: ${result.seconds.toFixed(3)}`,
        `hashes/s: ${Math.round(result.hashesPerSecond)}`,
        `written to ${file}`,
      ].join('\n'),
    );
    return 0;
  } catch (error) {
    output.clearProgress();
    output.summary('identity generate', { ok: false, file, error: errorJson(error) }, `identity generate failed: ${errorText(error)}`);
    return 1;
  }
}

export async function runIdentityShow(options: IdentityShowOptions, output: Output): Promise<number> {
  const file = resolve(options.file);
  let identity: Identity;
  try {
    identity = await readIdentityOption(file, 'FILE', IDENTITY_SHOW_USAGE, options.difficulty === undefined ? {} : { expectedDifficulty: options.difficulty });
  } catch (error) {
    output.summary('identity show', { ok: false, file, error: errorJson(error) }, `${file}: ${errorText(error)}`);
    return failureStatus(error);
  }
  const met = stampDifficulty(identity.publicKey, identity.proofOfWorkStamp);
  output.summary(
    'identity show',
    {
      ok: true,
      file,
      peer_id: identity.peerId,
      public_key: identity.publicKey.toString('hex'),
      proof_of_work_stamp: identity.proofOfWorkStamp.toString('hex'),
      difficulty: met,
      checked_difficulty: options.difficulty ?? null,
      error: null,
    },
    [
      `peer id: ${identity.peerId}`,
      `public key: ${identity.publicKey.toString('hex')}`,
      `proof of work: meets difficulty ${met}`,
      ...(options.difficulty === undefined ? [] : [`checked against difficulty ${options.difficulty}: ok`]),
    ].join('\n'),
  );
  return 0;
}

export function count(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
