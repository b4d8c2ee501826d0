/**
 * A file of identities for `p2p-socket load --identities`: a JSON array of identity.json objects
 * (protocol.md §12.3), as `identity generate --count K` writes it. A single identity.json is
 * read as a list of one.
 */
import { readFile } from 'node:fs/promises';
import { InvalidIdentityError } from '../shared/errors.ts';
import { identityFromJson, identityToJson, writeSecretFile, type Identity } from '../shared/identity.ts';

export async function readIdentitiesFile(path: string, expectedDifficulty?: number): Promise<Identity[]> {
  const text = await readFile(path, 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new InvalidIdentityError(`${path} is not valid JSON`, { cause });
  }
  const items = Array.isArray(value) ? (value as unknown[]) : [value];
  if (items.length === 0) throw new InvalidIdentityError(`${path} holds no identity`);
  return items.map((item) => identityFromJson(item, expectedDifficulty === undefined ? {} : { expectedDifficulty }));
}

/** Mode 0600 (secret keys), written to a temporary file and renamed, as writeIdentityFile does. */
export async function writeIdentitiesFile(path: string, identities: readonly Identity[]): Promise<void> {
  await writeSecretFile(path, `${JSON.stringify(identities.map(identityToJson), null, 1)}\n`);
}
