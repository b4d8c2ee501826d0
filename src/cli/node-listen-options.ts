/**
 * `listen --node` and the flags that only make sense with it: the node-like responder
 * (docs/node.md) served on every connection. Parsed here so that listen-options.ts only names the flags.
 */
import type { Point } from '../shared/wire/point.ts';
import { hashFromBase58 } from '../messages/hashes.ts';
import { integerOf, parsePoints, stringOf, UsageError, type Values } from './flag-parser.ts';

export interface NodeListenOptions {
  /** What `Bootstrap` is answered with (at most 50 of them per Advertise). */
  readonly points: readonly Point[];
  /** `--genesis B…`: the genesis block hash; `undefined`: the chain name's own genesis. */
  readonly genesis: string | undefined;
  /** `--block-interval MS`: bake a block every MS milliseconds; `undefined`: the head stays. */
  readonly blockInterval: number | undefined;
}

/** `undefined` without `--node`; its own flags are refused then, and so are `--echo` and `--nack`. */
export function nodeListenOptions(values: Values, usage: string): NodeListenOptions | undefined {
  const pointsText = stringOf(values, 'points', usage);
  const genesis = stringOf(values, 'genesis', usage);
  const blockInterval = integerOf(values, 'block-interval', 1, 2 ** 31 - 1, usage);
  if (values['node'] !== true) {
    const flags = { '--points': pointsText, '--genesis': genesis, '--block-interval': blockInterval };
    const stray = Object.entries(flags).find(([, value]) => value !== undefined)?.[0];
    if (stray !== undefined) throw new UsageError(`${stray} needs --node`, usage);
    return undefined;
  }
  if (genesis !== undefined) {
    try {
      hashFromBase58('block', genesis);
    } catch (error) {
      throw new UsageError(`--genesis must be a block hash (B…): ${(error as Error).message}`, usage);
    }
  }
  if (values['echo'] === true) throw new UsageError('--echo and --node exclude each other: a node answers its peers, it does not echo them', usage);
  if (values['nack'] !== undefined) throw new UsageError('--nack and --node exclude each other', usage);
  return { points: pointsText === undefined ? [] : parsePoints(pointsText, usage, 'points'), genesis, blockInterval };
}
