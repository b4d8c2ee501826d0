/**
 * Command-line parsing: argv to one typed command, every value validated up front so that a bad
 * flag fails before any identity is generated or socket opened (exit status 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { P2pError } from '../shared/errors.ts';
import { checkBinaryChunksSize } from '../shared/session/chunk-layout.ts';
import { NACK_MAX_POINTS } from '../shared/wire/ack.ts';
import { SANDBOXED_MAVRYK } from '../shared/wire/network-version.ts';
import { parsePoint, type Point } from '../shared/wire/point.ts';
import { parseMotive } from '../shared/wire/rejection.ts';
import { DEFAULT_MAX_MESSAGE_SIZE } from '../main/options.ts';
import { parseCrawl, type CrawlOptions } from './crawl/crawl-options.ts';
import { CRAWL_USAGE } from './crawl/crawl-usage.ts';
import { parseLoad, parseLoadMerge, type LoadMergeOptions, type LoadOptions } from './load/load-options.ts';
import { LOAD_MERGE_USAGE, LOAD_USAGE } from './load/load-usage.ts';
import { nodeListenOptions, type NodeListenOptions } from './node-listen-options.ts';
import { poolListenOptions, type PoolListenOptions } from './pool-listen-options.ts';
import type { CodecOptions } from './codec-command.ts';
import { CODEC_USAGE, CONNECT_USAGE, IDENTITY_GENERATE_USAGE, IDENTITY_SHOW_USAGE, IDENTITY_USAGE, LISTEN_USAGE, MAIN_USAGE } from './usage.ts';

/** A bad command line: unknown flag, missing argument, value out of range. Exit status 2. */
export class UsageError extends P2pError {
  readonly code = 'USAGE_ERROR' as const;
  /** The usage text of the command concerned, for the hint on stderr. */
  readonly usage: string;
  constructor(message: string, usage: string) {
    super(message);
    this.usage = usage;
  }
}

/** What a CLI run is configured with; identity, versions and metadata as the node sees them. */
export interface PeerOptions {
  /** identity.json path; `undefined`: generate a fresh identity at `difficulty`. */
  readonly identityFile: string | undefined;
  readonly difficulty: number;
  readonly chain: string;
  readonly ddb: number;
  readonly p2p: number;
  readonly privateNode: boolean;
  readonly disableMempool: boolean;
  readonly chunkSize: number | undefined;
  readonly timeout: number;
  readonly json: boolean;
}

export interface ListenOptions extends PeerOptions {
  readonly host: string;
  readonly port: number;
  readonly readyFile: string | undefined;
  readonly connections: number | undefined;
  readonly echo: boolean;
  readonly nack: { readonly motive: number; readonly points: readonly Point[] } | undefined;
  /** `--workers N`: serve through a Pool (0: inline) instead of one socket at a time (pool-listen.ts). */
  readonly pool: PoolListenOptions | undefined;
  /** `--node`: answer every peer as a small node does (node-listen-options.ts). */
  readonly node: NodeListenOptions | undefined;
}

export interface ConnectOptions extends PeerOptions {
  readonly host: string;
  readonly port: number;
  readonly send: number;
  readonly size: number;
  readonly expectEcho: boolean;
}

export interface IdentityGenerateOptions {
  readonly difficulty: number;
  readonly out: string;
  /** `--count K`: K identities in one file, a JSON array (identities-file.ts). */
  readonly count: number | undefined;
  readonly json: boolean;
}

export interface IdentityShowOptions {
  readonly file: string;
  readonly difficulty: number | undefined;
  readonly json: boolean;
}

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

export const DEFAULTS = {
  /** The CLI's own default: ad-hoc runs get an instant identity and accept any peer. */
  difficulty: 0,
  /** `mavkit-node identity generate`'s default (`expected_pow`, protocol.md §2.3). */
  identityDifficulty: 26,
  chain: SANDBOXED_MAVRYK,
  /** What the node announces (protocol.md §1.4). */
  ddb: 2,
  p2p: 1,
  timeout: 10_000,
  host: '127.0.0.1',
  port: 0,
  send: 1,
  size: 32,
  out: './identity.json',
} as const;

export type Options = NonNullable<ParseArgsConfig['options']>;

const HELP: Options = { help: { type: 'boolean', short: 'h' } };
const JSON_FLAG: Options = { json: { type: 'boolean' } };

const PEER_FLAGS: Options = {
  ...HELP,
  ...JSON_FLAG,
  identity: { type: 'string' },
  difficulty: { type: 'string' },
  chain: { type: 'string' },
  ddb: { type: 'string' },
  p2p: { type: 'string' },
  'private-node': { type: 'boolean' },
  'disable-mempool': { type: 'boolean' },
  'chunk-size': { type: 'string' },
  timeout: { type: 'string' },
};

const LISTEN_FLAGS: Options = {
  ...PEER_FLAGS,
  host: { type: 'string' },
  port: { type: 'string' },
  'ready-file': { type: 'string' },
  connections: { type: 'string' },
  echo: { type: 'boolean' },
  nack: { type: 'string' },
  'nack-points': { type: 'string' },
  workers: { type: 'string' },
  'max-connections': { type: 'string' },
  'max-handshakes': { type: 'string' },
  'allow-duplicate-peers': { type: 'boolean' },
  'metrics-port': { type: 'string' },
  'max-upload-speed': { type: 'string' },
  'max-download-speed': { type: 'string' },
  node: { type: 'boolean' },
  points: { type: 'string' },
  genesis: { type: 'string' },
  'block-interval': { type: 'string' },
};

const CONNECT_FLAGS: Options = {
  ...PEER_FLAGS,
  send: { type: 'string' },
  size: { type: 'string' },
  'expect-echo': { type: 'boolean' },
};

const IDENTITY_GENERATE_FLAGS: Options = { ...HELP, ...JSON_FLAG, difficulty: { type: 'string' }, out: { type: 'string' }, count: { type: 'string' } };
const CODEC_FLAGS: Options = { ...HELP, framed: { type: 'boolean' } };
const IDENTITY_SHOW_FLAGS: Options = { ...HELP, ...JSON_FLAG, difficulty: { type: 'string' } };

export type Values = Record<string, string | boolean | undefined>;

function isHelp(arg: string): boolean {
  return arg === '--help' || arg === '-h';
}

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

function parseCodec(argv: readonly string[]): CodecOptions {
  const [direction, ...rest] = argv;
  if (direction !== 'decode' && direction !== 'encode') {
    throw new UsageError(direction === undefined ? 'missing codec subcommand (decode or encode)' : `unknown codec subcommand ${JSON.stringify(direction)}`, CODEC_USAGE);
  }
  // An input may start with '-' only as the stdin marker itself, so tokens are not taken for flags.
  const { values, positionals } = parse(rest, CODEC_FLAGS, CODEC_USAGE, 1);
  return { direction, framed: values['framed'] === true, input: positionals[0]!, json: false };
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

function parseIdentity(argv: readonly string[]): Command {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'generate': {
      if (rest.some(isHelp)) return { kind: 'help', text: IDENTITY_GENERATE_USAGE };
      const { values } = parse(rest, IDENTITY_GENERATE_FLAGS, IDENTITY_GENERATE_USAGE, 0);
      return {
        kind: 'identity generate',
        options: {
          difficulty: difficultyOf(values, IDENTITY_GENERATE_USAGE) ?? DEFAULTS.identityDifficulty,
          out: stringOf(values, 'out', IDENTITY_GENERATE_USAGE) ?? DEFAULTS.out,
          count: integerOf(values, 'count', 1, 10_000_000, IDENTITY_GENERATE_USAGE),
          json: values['json'] === true,
        },
      };
    }
    case 'show': {
      if (rest.some(isHelp)) return { kind: 'help', text: IDENTITY_SHOW_USAGE };
      const { values, positionals } = parse(rest, IDENTITY_SHOW_FLAGS, IDENTITY_SHOW_USAGE, 1);
      return {
        kind: 'identity show',
        options: { file: positionals[0]!, difficulty: difficultyOf(values, IDENTITY_SHOW_USAGE), json: values['json'] === true },
      };
    }
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      if (sub === undefined) throw new UsageError('missing identity subcommand (generate or show)', IDENTITY_USAGE);
      return { kind: 'help', text: IDENTITY_USAGE };
    default:
      throw new UsageError(`unknown identity subcommand ${JSON.stringify(sub)}`, IDENTITY_USAGE);
  }
}

function parseListen(argv: readonly string[]): ListenOptions {
  const { values } = parse(argv, LISTEN_FLAGS, LISTEN_USAGE, 0);
  const u = LISTEN_USAGE;
  const motiveText = stringOf(values, 'nack', u);
  const pointsText = stringOf(values, 'nack-points', u);
  if (pointsText !== undefined && motiveText === undefined) throw new UsageError('--nack-points needs --nack', u);
  let nack: ListenOptions['nack'];
  if (motiveText !== undefined) {
    let motive: number;
    try {
      motive = parseMotive(motiveText);
    } catch (error) {
      throw new UsageError(`--nack: ${(error as Error).message}`, u);
    }
    nack = { motive, points: pointsText === undefined ? [] : parsePoints(pointsText, u, 'nack-points', NACK_MAX_POINTS) };
  }
  return {
    ...peerOptions(values, u),
    host: stringOf(values, 'host', u) ?? DEFAULTS.host,
    port: integerOf(values, 'port', 0, 0xffff, u) ?? DEFAULTS.port,
    readyFile: stringOf(values, 'ready-file', u),
    connections: integerOf(values, 'connections', 1, Number.MAX_SAFE_INTEGER, u),
    echo: values['echo'] === true,
    nack,
    pool: poolListenOptions(values, u),
    node: nodeListenOptions(values, u),
  };
}

function parseConnect(argv: readonly string[]): ConnectOptions {
  const u = CONNECT_USAGE;
  const { values, positionals } = parse(argv, CONNECT_FLAGS, u, 1);
  const { host, port } = parseHostPort(positionals[0]!, u);
  return {
    ...peerOptions(values, u),
    host,
    port,
    send: integerOf(values, 'send', 0, Number.MAX_SAFE_INTEGER, u) ?? DEFAULTS.send,
    // The body plus its 4-byte length prefix must fit the receiver's default limit.
    size: integerOf(values, 'size', 0, DEFAULT_MAX_MESSAGE_SIZE - 4, u) ?? DEFAULTS.size,
    expectEcho: values['expect-echo'] === true,
  };
}

function peerOptions(values: Values, usage: string): PeerOptions {
  const chunkSize = integerOf(values, 'chunk-size', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, usage);
  // INVALID_CHUNKS_SIZE {value, min, max}, as the node's config check reports it (protocol.md §6.4).
  if (chunkSize !== undefined) checkBinaryChunksSize(chunkSize);
  const chain = stringOf(values, 'chain', usage) ?? DEFAULTS.chain;
  for (let i = 0; i < chain.length; i++) {
    // Chain names travel as bytes; the library takes them in latin1 form (network-version.ts).
    if (chain.charCodeAt(i) > 0xff) throw new UsageError('--chain must be ASCII or latin1 text', usage);
  }
  return {
    identityFile: stringOf(values, 'identity', usage),
    difficulty: difficultyOf(values, usage) ?? DEFAULTS.difficulty,
    chain,
    ddb: integerOf(values, 'ddb', 0, 0xffff, usage) ?? DEFAULTS.ddb,
    p2p: integerOf(values, 'p2p', 0, 0xffff, usage) ?? DEFAULTS.p2p,
    privateNode: values['private-node'] === true,
    disableMempool: values['disable-mempool'] === true,
    chunkSize,
    timeout: integerOf(values, 'timeout', 1, 2 ** 31 - 1, usage) ?? DEFAULTS.timeout,
    json: values['json'] === true,
  };
}

function parse(argv: readonly string[], options: Options, usage: string, positionalCount: number): { values: Values; positionals: string[] } {
  let result: { values: Values; positionals: string[] };
  try {
    result = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true }) as { values: Values; positionals: string[] };
  } catch (error) {
    // ERR_PARSE_ARGS_UNKNOWN_OPTION, ERR_PARSE_ARGS_INVALID_OPTION_VALUE (flag without its value)…
    throw new UsageError((error as Error).message, usage);
  }
  const { positionals } = result;
  if (positionals.length < positionalCount) throw new UsageError('missing argument', usage);
  if (positionals.length > positionalCount) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[positionalCount])}`, usage);
  }
  return result;
}

export function stringOf(values: Values, name: string, usage: string): string | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} needs a value`, usage);
  return value;
}

export function integerOf(values: Values, name: string, min: number, max: number, usage: string): number | undefined {
  const text = stringOf(values, name, usage);
  if (text === undefined) return undefined;
  const value = /^-?[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = min === Number.MIN_SAFE_INTEGER ? 'an integer' : max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`;
    throw new UsageError(`--${name} must be ${range}, got ${JSON.stringify(text)}`, usage);
  }
  return value;
}

/** A proof-of-work difficulty: a decimal number in [0, 256] (protocol.md §2.2). */
export function difficultyOf(values: Values, usage: string): number | undefined {
  const text = stringOf(values, 'difficulty', usage);
  if (text === undefined) return undefined;
  const value = /^[0-9]+(\.[0-9]*)?$|^\.[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(value >= 0 && value <= 256)) {
    throw new UsageError(`--difficulty must be a number in [0, 256], got ${JSON.stringify(text)}`, usage);
  }
  return value;
}

/** `a.b.c.d:port,[v6]:port,…` of flag `--name`: literal IPs with their port, at most `max`. */
export function parsePoints(text: string, usage: string, name: string, max = Number.MAX_SAFE_INTEGER): Point[] {
  const items = text.split(',').map((item) => item.trim()).filter((item) => item !== '');
  if (items.length > max) {
    throw new UsageError(`--${name}: at most ${max} points fit in a Nack, got ${items.length}`, usage);
  }
  return items.map((item) => {
    try {
      return parsePoint(item);
    } catch (error) {
      throw new UsageError(`--${name}: ${(error as Error).message}`, usage);
    }
  });
}

/** `host:port` or `[ipv6]:port`; the host may be a name (it is only dialled). */
export function parseHostPort(text: string, usage: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):([0-9]+)$/.exec(text);
  if (!m) throw new UsageError(`expected HOST:PORT (IPv6 in brackets), got ${JSON.stringify(text)}`, usage);
  const port = Number(m[3]);
  if (port < 1 || port > 0xffff) throw new UsageError(`port ${m[3]} is out of range: a TCP port is 1..65535 (in ${JSON.stringify(text)})`, usage);
  return { host: (m[1] ?? m[2])!, port };
}
