/**
 * The options every peer-talking command shares (listen, connect): identity, proof of work,
 * announced versions, metadata, chunk size and timeout; their flags, defaults and validation.
 */
import { checkBinaryChunksSize } from '../shared/session/chunk-layout.ts';
import { SANDBOXED_MAVRYK } from '../shared/wire/network-version.ts';
import { difficultyOf, HELP, integerOf, JSON_FLAG, stringOf, UsageError, type Options, type Values } from './flag-parser.ts';

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

export const PEER_FLAGS: Options = {
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

export function peerOptions(values: Values, usage: string): PeerOptions {
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
