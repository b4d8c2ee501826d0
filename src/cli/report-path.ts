/**
 * `--report FILE.html` is checked when the command line is read, so that a typo in the path
 * fails at once (exit 2) instead of after a run of minutes whose results it would lose: its
 * folder must exist and be writable, and the path must not name a folder.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './flag-parser.ts';

/** `path`, absolute, once a report can be written there; undefined when no report is asked for. */
export function checkReportPath(path: string | undefined, usage: string): string | undefined {
  if (path === undefined) return undefined;
  const file = resolve(path);
  const directory = dirname(file);
  let problem: string | undefined;
  try {
    if (!statSync(directory).isDirectory()) problem = `${directory} is not a directory`;
    else {
      const existing = statSync(file, { throwIfNoEntry: false });
      if (existing?.isDirectory()) problem = `${file} is a directory`;
      else accessSync(existing ? file : directory, constants.W_OK);
    }
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    problem = code === 'ENOENT' ? `directory ${directory} does not exist` : code === 'EACCES' ? `${file} cannot be written (EACCES)` : (error as Error).message;
  }
  if (problem !== undefined) throw new UsageError(`--report ${path}: ${problem}`, usage);
  return file;
}
