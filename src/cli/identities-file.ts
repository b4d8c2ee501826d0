/**
 * Identity files the CLI reads: one identity.json (`--identity`, `identity show FILE`), and for
 * `p2p-socket load --identities` a JSON array of identity.json objects (protocol.md §12.3), as
 * `identity generate --count K` writes it (a single identity.json is read as a list of one).
 * Each is read through readOptionFile, so its size is bounded.
 */
import { InvalidIdentityError } from '../shared/errors.ts';
import { identityFromJson, identityToJson, writeSecretFile, type Identity, type IdentityCheckOptions } from '../shared/identity.ts';
import { LARGE_FILE_LIMIT, readOptionFile, SMALL_FILE_LIMIT } from './option-file.ts';

/** One identity.json, checked as the node reads it (and its stamp, with `expectedDifficulty`). */
export async function readIdentityOption(path: string, what: string, usage: string, options: IdentityCheckOptions = {}): Promise<Identity> {
  return identityFromJson(parsedJson(await readOptionFile(path, what, SMALL_FILE_LIMIT, usage), path), options);
}

export async function readIdentitiesFile(path: string, usage: string, expectedDifficulty?: number): Promise<Identity[]> {
  const value = parsedJson(await readOptionFile(path, '--identities', LARGE_FILE_LIMIT, usage), path);
  const items = Array.isArray(value) ? (value as unknown[]) : [value];
  if (items.length === 0) throw new InvalidIdentityError(`${path} holds no identity`);
  return items.map((item) => identityFromJson(item, expectedDifficulty === undefined ? {} : { expectedDifficulty }));
}

function parsedJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new InvalidIdentityError(`${path} is not valid JSON`, { cause });
  }
}

/** Mode 0600 (secret keys), written to a temporary file and renamed, as writeIdentityFile does. */
export async function writeIdentitiesFile(path: string, identities: readonly Identity[]): Promise<void> {
  await writeSecretFile(path, `${JSON.stringify(identities.map(identityToJson), null, 1)}\n`);
}
