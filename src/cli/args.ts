/**
 * Command-line parsing: argv to one typed command, every value validated up front so that a bad
 * flag fails before any identity is generated or socket opened (exit status 2).
 */
import { parseCrawl, type CrawlOptions } from './crawl/crawl-options.ts';
import { CRAWL_USAGE } from './crawl/crawl-usage.ts';
import { parseLoad, parseLoadMerge, type LoadMergeOptions, type LoadOptions } from './load/load-options.ts';
import { LOAD_MERGE_USAGE, LOAD_USAGE } from './load/load-usage.ts';
import type { CodecOptions } from './codec-command.ts';
import { parseCodec } from './codec-options.ts';
import { parseConnect, type ConnectOptions } from './connect-options.ts';
import { isHelp, UsageError } from './flag-parser.ts';
import { parseIdentity, type IdentityGenerateOptions, type IdentityShowOptions } from './identity-options.ts';
import { parseListen, type ListenOptions } from './listen-options.ts';
import { CODEC_USAGE, CONNECT_USAGE, IDENTITY_GENERATE_USAGE, IDENTITY_SHOW_USAGE, IDENTITY_USAGE, LISTEN_USAGE, MAIN_USAGE } from './usage.ts';

export type Command =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'identity generate'; readonly options: IdentityGenerateOptions }
  | { readonly kind: 'identity show'; readonly options: IdentityShowOptions }
  | { readonly kind: 'listen'; readonly options: ListenOptions }
  | { readonly kind: 'connect'; readonly options: ConnectOptions }
  | { readonly kind: 'load'; readonly options: LoadOptions }
  | { readonly kind: 'load merge'; readonly options: LoadMergeOptions }
  | { readonly kind: 'crawl'; readonly options: CrawlOptions }
  | { readonly kind: 'codec'; readonly options: CodecOptions };

export type CommandName = Exclude<Command['kind'], 'help'>;

/** Parses the whole command line. Throws UsageError (or INVALID_CHUNKS_SIZE) on bad input. */
export function parseCommandLine(argv: readonly string[]): Command {
  const [word, ...rest] = argv;
  switch (word) {
    case undefined:
      throw new UsageError('missing command', MAIN_USAGE);
    case '--help':
    case '-h':
    case 'help':
      return { kind: 'help', text: MAIN_USAGE };
    case 'identity':
      return parseIdentity(rest);
    case 'listen':
      if (rest.some(isHelp)) return { kind: 'help', text: LISTEN_USAGE };
      return { kind: 'listen', options: parseListen(rest) };
    case 'connect':
      if (rest.some(isHelp)) return { kind: 'help', text: CONNECT_USAGE };
      return { kind: 'connect', options: parseConnect(rest) };
    case 'load':
      if (rest[0] === 'merge') {
        if (rest.some(isHelp)) return { kind: 'help', text: LOAD_MERGE_USAGE };
        return { kind: 'load merge', options: parseLoadMerge(rest.slice(1)) };
      }
      if (rest.some(isHelp)) return { kind: 'help', text: LOAD_USAGE };
      return { kind: 'load', options: parseLoad(rest) };
    case 'crawl':
      if (rest.some(isHelp)) return { kind: 'help', text: CRAWL_USAGE };
      return { kind: 'crawl', options: parseCrawl(rest) };
    case 'codec':
      if (rest.some(isHelp)) return { kind: 'help', text: CODEC_USAGE };
      return { kind: 'codec', options: parseCodec(rest) };
    default:
      throw new UsageError(`unknown command ${JSON.stringify(word)}`, MAIN_USAGE);
  }
}

/** The usage text of the command named by argv, for error hints (falls back to the main one). */
export function usageFor(argv: readonly string[]): string {
  const [word, sub] = argv;
  if (word === 'listen') return LISTEN_USAGE;
  if (word === 'connect') return CONNECT_USAGE;
  if (word === 'load') return sub === 'merge' ? LOAD_MERGE_USAGE : LOAD_USAGE;
  if (word === 'crawl') return CRAWL_USAGE;
  if (word === 'codec') return CODEC_USAGE;
  if (word === 'identity') {
    if (sub === 'generate') return IDENTITY_GENERATE_USAGE;
    if (sub === 'show') return IDENTITY_SHOW_USAGE;
    return IDENTITY_USAGE;
  }
  return MAIN_USAGE;
}

/** The command name argv asks for, if it names one (for the JSON summary of a usage error). */
export function commandNameOf(argv: readonly string[]): string | undefined {
  const [word, sub] = argv;
  if (word === 'listen' || word === 'connect' || word === 'crawl') return word;
  if (word === 'load') return sub === 'merge' ? 'load merge' : 'load';
  if (word === 'codec') return 'codec';
  if (word === 'identity' && (sub === 'generate' || sub === 'show')) return `identity ${sub}`;
  return undefined;
}
