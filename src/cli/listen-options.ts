/**
 * `listen`'s flags: where to listen, what to answer (echo, Nack), and the pool and node options
 * (pool-listen-options.ts, node-listen-options.ts).
 */
import { NACK_MAX_POINTS } from '../shared/wire/ack.ts';
import type { Point } from '../shared/wire/point.ts';
import { parseMotive } from '../shared/wire/rejection.ts';
import { integerOf, parseFlags, parsePoints, stringOf, UsageError, type Options } from './flag-parser.ts';
import { nodeListenOptions, type NodeListenOptions } from './node-listen-options.ts';
import { DEFAULTS, PEER_FLAGS, peerOptions, type PeerOptions } from './peer-options.ts';
import { poolListenOptions, type PoolListenOptions } from './pool-listen-options.ts';
import { LISTEN_USAGE } from './usage.ts';

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

export function parseListen(argv: readonly string[]): ListenOptions {
  const { values } = parseFlags(argv, LISTEN_FLAGS, LISTEN_USAGE, 0);
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
