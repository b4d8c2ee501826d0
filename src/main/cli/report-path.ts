/**
 * `--report FILE.html` is checked when the command line is read, so that a typo in the path
 * fails at once (exit 2) instead of after a run of minutes: its folder must exist and be
 * writable, and the path must not name a folder.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './args.ts';

export function checkReportPath(path: string | undefined, usage: string): string | undefined {
  if (path === undefined) return undefined;
  const file = resolve(path);
  const folder = dirname(file);
  try {
    if (!statSync(folder).isDirectory()) throw new UsageError(`--report: ${folder} is not a folder`, usage);
    accessSync(folder, constants.W_OK);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--report: cannot write in ${folder} (${(error as Error).message})`, usage);
  }
  let isFolder = false;
  try {
    isFolder = statSync(file).isDirectory();
  } catch {
    // No such file yet: it will be created.
  }
  if (isFolder) throw new UsageError(`--report: ${file} is a folder, not a file`, usage);
  return file;
}
