/** `codec decode|encode`: its flags and its one input. */
import type { CodecOptions } from './codec-command.ts';
import { HELP, parseFlags, UsageError, type Options } from './flag-parser.ts';
import { CODEC_USAGE } from './usage.ts';

const CODEC_FLAGS: Options = { ...HELP, framed: { type: 'boolean' } };

export function parseCodec(argv: readonly string[]): CodecOptions {
  const [direction, ...rest] = argv;
  if (direction !== 'decode' && direction !== 'encode') {
    throw new UsageError(direction === undefined ? 'missing codec subcommand (decode or encode)' : `unknown codec subcommand ${JSON.stringify(direction)}`, CODEC_USAGE);
  }
  // An input may start with '-' only as the stdin marker itself, so tokens are not taken for flags.
  const { values, positionals } = parseFlags(rest, CODEC_FLAGS, CODEC_USAGE, 1);
  return { direction, framed: values['framed'] === true, input: positionals[0]!, json: false };
}
