/**
 * Files named on the command line (`--identity`, `--identities`, `--size-dist`, `identity show
 * FILE`, `load merge FILE…`) are read here, at most `limit` bytes: `/dev/zero` or a huge file
 * ends in a usage error naming the limit instead of filling memory. A file that cannot be read
 * (missing, a directory, no permission) is a usage error too (exit 2, docs/cli.md).
 */
import { open } from 'node:fs/promises';
import { UsageError } from './flag-parser.ts';

/** Limit of a file holding one small JSON object (identity.json, a size distribution). */
export const SMALL_FILE_LIMIT = 64 * 1024;
/** Limit of a file of many records (`--identities` for thousands of peers, load summaries). */
export const LARGE_FILE_LIMIT = 64 * 1024 * 1024;

const READ_PIECE = 64 * 1024;

/** The text of `path` (UTF-8), named `what` in errors (`--identity FILE`, `FILE`). */
export async function readOptionFile(path: string, what: string, limit: number, usage: string): Promise<string> {
  const failed = (problem: string): UsageError => new UsageError(`${what} ${path}: ${problem}`, usage);
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw failed(`cannot be read (${systemReason(error)})`);
  }
  try {
    // Read in pieces up to one byte past the limit, which tells a file at the limit from a longer one.
    const pieces: Buffer[] = [];
    let total = 0;
    while (total <= limit) {
      const piece = Buffer.alloc(Math.min(READ_PIECE, limit + 1 - total));
      const { bytesRead } = await handle.read(piece, 0, piece.length, null);
      if (bytesRead === 0) break;
      pieces.push(piece.subarray(0, bytesRead));
      total += bytesRead;
    }
    if (total > limit) throw failed(`larger than ${sizeText(limit)}; not read further`);
    return Buffer.concat(pieces, total).toString('utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw failed(`cannot be read (${systemReason(error)})`);
  } finally {
    await handle.close();
  }
}

/** `ENOENT: no such file or directory` without the path Node repeats. */
function systemReason(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const reason = /^[A-Z0-9_]+: ([^,]+)/.exec(message)?.[1] ?? message;
  return typeof code === 'string' ? `${code}: ${reason}` : reason;
}

function sizeText(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${bytes / 1024} KiB`;
}
