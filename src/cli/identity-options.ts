/** `identity generate` and `identity show`: their flags and validation. */
import type { Command } from './args.ts';
import { difficultyOf, HELP, integerOf, isHelp, JSON_FLAG, parseFlags, stringOf, UsageError, type Options } from './flag-parser.ts';
import { DEFAULTS } from './peer-options.ts';
import { IDENTITY_GENERATE_USAGE, IDENTITY_SHOW_USAGE, IDENTITY_USAGE } from './usage.ts';

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

const IDENTITY_GENERATE_FLAGS: Options = { ...HELP, ...JSON_FLAG, difficulty: { type: 'string' }, out: { type: 'string' }, count: { type: 'string' } };
const IDENTITY_SHOW_FLAGS: Options = { ...HELP, ...JSON_FLAG, difficulty: { type: 'string' } };

/** `identity …`: the subcommand and its options, or its help. */
export function parseIdentity(argv: readonly string[]): Command {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'generate': {
      if (rest.some(isHelp)) return { kind: 'help', text: IDENTITY_GENERATE_USAGE };
      const { values } = parseFlags(rest, IDENTITY_GENERATE_FLAGS, IDENTITY_GENERATE_USAGE, 0);
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
      const { values, positionals } = parseFlags(rest, IDENTITY_SHOW_FLAGS, IDENTITY_SHOW_USAGE, 1);
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
