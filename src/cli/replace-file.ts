/**
 * How the CLI writes every file it is asked for (`--ready-file`, `--report`; `--out` goes through
 * writeIdentityFile, the same way): through a temporary file with an unpredictable name, created
 * exclusively (`wx`) beside the target, then renamed over it. A reader never sees a partial file, and nothing planted at a guessable path
 * (a symlink to another file) is followed. Mode 0600, as identity files (shared/identity.ts).
 */
import { writeSecretFile } from '../shared/identity.ts';

export async function replaceFile(path: string, text: string): Promise<void> {
  await writeSecretFile(path, text);
}
