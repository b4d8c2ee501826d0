/**
 * `p2p-socket` entry point: parse, dispatch, map the outcome to an exit status
 * (0 success, 1 failure, 2 bad usage). `bin/p2p-socket.js` calls `main`.
 */
import { InvalidChunksSizeError } from '../shared/errors.ts';
import { runCrawl } from './crawl/crawl-command.ts';
import { commandNameOf, parseCommandLine, usageFor, type Command } from './args.ts';
import { UsageError } from './flag-parser.ts';
import { runCodec } from './codec-command.ts';
import { runConnect } from './connect-command.ts';
import { runIdentityGenerate, runIdentityShow } from './identity-command.ts';
import { runListen } from './listen-command.ts';
import { runLoadCommand } from './load/load-command.ts';
import { runLoadMerge } from './load/merge-command.ts';
import { errorJson, errorText, Output, type OutputStreams } from './output.ts';
import { EXIT_OK, EXIT_USAGE, failureStatus } from './exit-status.ts';

/** Runs the command line `argv` (without `node` and the script) and resolves to the exit status. */
export async function main(argv: readonly string[], streams: OutputStreams = process): Promise<number> {
  let command: Command;
  try {
    command = parseCommandLine(argv);
  } catch (error) {
    return usageFailure(argv, error, streams);
  }
  if (command.kind === 'help') {
    streams.stdout.write(command.text);
    return EXIT_OK;
  }
  // Results only on stdout, errors as JSON lines: the codec reports its own failures.
  if (command.kind === 'codec') return runCodec(command.options, streams);
  const output = new Output(command.options.json, streams);
  try {
    switch (command.kind) {
      case 'identity generate':
        return await runIdentityGenerate(command.options, output);
      case 'identity show':
        return await runIdentityShow(command.options, output);
      case 'listen':
        return await runListen(command.options, output);
      case 'connect':
        return await runConnect(command.options, output);
      case 'load':
        return await runLoadCommand(command.options, output);
      case 'load merge':
        return await runLoadMerge(command.options, output);
      case 'crawl':
        return await runCrawl(command.options, output);
    }
  } catch (error) {
    // Failures before any connection: the identity file cannot be read, generation failed…
    output.summary(command.kind, { ok: false, error: errorJson(error) }, `${command.kind} failed: ${errorText(error)}`);
    return failureStatus(error);
  }
}

function usageFailure(argv: readonly string[], error: unknown, streams: OutputStreams): number {
  if (!(error instanceof UsageError || error instanceof InvalidChunksSizeError)) throw error;
  const usage = error instanceof UsageError ? error.usage : usageFor(argv);
  streams.stderr.write(`p2p-socket: ${error.message}\n\n${usage}`);
  // Drivers asked for JSON still get a summary line telling the code.
  if (argv.includes('--json')) {
    new Output(true, streams).summary(commandNameOf(argv) ?? 'p2p-socket', { ok: false, error: errorJson(error) }, '');
  }
  return EXIT_USAGE;
}

/**
 * Sets the exit status and lets the process end by itself, so stdout is flushed. The unref'd
 * timer only fires if something still holds the event loop (a bug), and then forces the exit.
 */
export function exitWith(status: number): void {
  process.exitCode = status;
  setTimeout(() => process.exit(status), 2000).unref();
}
