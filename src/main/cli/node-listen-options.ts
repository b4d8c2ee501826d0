/**
 * `listen --node` and the flags that only make sense with it: the node-like responder
 * (docs/messages.md) served on every connection. Parsed here so that args.ts only names the flags.
 */
import type { Point } from '../../shared/wire/point.ts';
import { parsePoints, stringOf, UsageError, type Values } from './args.ts';

export interface NodeListenOptions {
  /** What `Bootstrap` is answered with (at most 50 of them per Advertise). */
  readonly points: readonly Point[];
  /** `--genesis B…`: the genesis block hash; `undefined`: the chain name's own genesis. */
  readonly genesis: string | undefined;
}

/** `undefined` without `--node`; its own flags are refused then, and so are `--echo` and `--nack`. */
export function nodeListenOptions(values: Values, usage: string): NodeListenOptions | undefined {
  const pointsText = stringOf(values, 'points', usage);
  const genesis = stringOf(values, 'genesis', usage);
  if (values['node'] !== true) {
    if (pointsText !== undefined) throw new UsageError('--points needs --node', usage);
    if (genesis !== undefined) throw new UsageError('--genesis needs --node', usage);
    return undefined;
  }
  if (values['echo'] === true) throw new UsageError('--echo and --node exclude each other: a node answers its peers, it does not echo them', usage);
  if (values['nack'] !== undefined) throw new UsageError('--nack and --node exclude each other', usage);
  return { points: pointsText === undefined ? [] : parsePoints(pointsText, usage, 'points'), genesis };
}
