/**
 * The exit statuses of every command (docs/cli.md, "Exit status"): 0 success, 1 failure, 2 bad
 * usage, including a usage error found once the command has started (a file named on the
 * command line that cannot be read).
 */
import { UsageError } from './flag-parser.ts';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The status of a command that failed with `error`. */
export function failureStatus(error: unknown): number {
  return error instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
}
