/**
 * The generic flag parser every command shares: argv against one command's flag table
 * (`node:util` parseArgs, strict), and the checked readers of flag values. A bad value is a
 * UsageError naming the flag, with the command's usage text for the hint.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { P2pError } from '../shared/errors.ts';
import { parsePoint, type Point } from '../shared/wire/point.ts';

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

/** A command's flag table. */
export type Options = NonNullable<ParseArgsConfig['options']>;

/** The flags most commands take: `--help`/`-h`, and `--json` for a JSON summary. */
export const HELP: Options = { help: { type: 'boolean', short: 'h' } };
export const JSON_FLAG: Options = { json: { type: 'boolean' } };

export type Values = Record<string, string | boolean | undefined>;

/** Whether an argument asks for help (a command answers with its usage text). */
export function isHelp(arg: string): boolean {
  return arg === '--help' || arg === '-h';
}

/**
 * Parses argv against `options`, with exactly `positionalCount` positionals.
 * Throws UsageError (carrying `usage`) on an unknown flag, a missing value or argument.
 */
export function parseFlags(argv: readonly string[], options: Options, usage: string, positionalCount: number): { values: Values; positionals: string[] } {
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
