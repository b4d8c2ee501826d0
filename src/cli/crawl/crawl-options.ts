/**
 * `p2p-socket crawl` command line: every value checked before any identity or socket exists (a
 * bad flag, range or report path is a usage error, exit 2).
 */
import { difficultyOf, integerOf, parseHostPort, stringOf, UsageError, type Options } from '../flag-parser.ts';
import { DEFAULTS } from '../peer-options.ts';
import { parseOptionalTarget } from '../load/load-options.ts';
import { AddressFilter, InvalidRangeError } from './address-filter.ts';
import { CRAWL_USAGE } from './crawl-usage.ts';
import { parseChainId } from '../chain-id-option.ts';
import { checkReportPath } from '../report-path.ts';

export interface CrawlOptions {
  readonly seeds: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  readonly maxPeers: number;
  readonly depth: number;
  readonly concurrency: number;
  /** `undefined`: every address may be dialled. */
  readonly only: AddressFilter | undefined;
  /** Dial + handshake limit per peer, ms. */
  readonly timeout: number;
  /** How long to wait for a peer's answers after the handshake, ms. */
  readonly wait: number;
  /** Seconds after which nothing new is dialled and running dials are aborted. */
  readonly maxTime: number;
  readonly chain: string;
  /** The chain to ask about when a peer does not name one first (4 bytes). */
  readonly chainId: Uint8Array | undefined;
  readonly identityFile: string | undefined;
  readonly difficulty: number;
  readonly json: boolean;
  readonly report: string | undefined;
}

export const CRAWL_DEFAULTS = {
  maxPeers: 200,
  depth: 8,
  /**
   * Dials at once. Each goes to a different peer, so a node's limit of 20 incoming handshakes
   * (protocol.md §11.4) is not what bounds it; this keeps a crawl polite to the network it walks.
   */
  concurrency: 16,
  /** A node ends a handshake after 5 s (`authentication_timeout`); a little more covers the dial. */
  timeout: 6000,
  /** Answers come within milliseconds on a healthy node; a node that knows no point never sends Advertise. */
  wait: 3000,
  maxTime: 300,
} as const;

const CRAWL_FLAGS: Options = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  'max-peers': { type: 'string' },
  depth: { type: 'string' },
  concurrency: { type: 'string' },
  only: { type: 'string' },
  timeout: { type: 'string' },
  wait: { type: 'string' },
  'max-time': { type: 'string' },
  chain: { type: 'string' },
  'chain-id': { type: 'string' },
  identity: { type: 'string' },
  difficulty: { type: 'string' },
  report: { type: 'string' },
};

export function parseCrawl(argv: readonly string[]): CrawlOptions {
  const u = CRAWL_USAGE;
  const { values, positionals } = parseOptionalTarget(argv, u, CRAWL_FLAGS, Infinity);
  if (positionals.length === 0) throw new UsageError('crawl needs at least one seed HOST:PORT', u);
  let only: AddressFilter | undefined;
  const onlyText = stringOf(values, 'only', u);
  if (onlyText !== undefined) {
    try {
      only = AddressFilter.parse(onlyText);
    } catch (error) {
      if (error instanceof InvalidRangeError) throw new UsageError(`--only: ${error.message}`, u);
      throw error;
    }
  }
  const chain = stringOf(values, 'chain', u) ?? DEFAULTS.chain;
  for (let i = 0; i < chain.length; i++) if (chain.charCodeAt(i) > 0xff) throw new UsageError('--chain must be ASCII or latin1 text', u);
  return {
    seeds: positionals.map((text) => parseHostPort(text, u)),
    maxPeers: integerOf(values, 'max-peers', 1, 1_000_000, u) ?? CRAWL_DEFAULTS.maxPeers,
    depth: integerOf(values, 'depth', 0, 1000, u) ?? CRAWL_DEFAULTS.depth,
    concurrency: integerOf(values, 'concurrency', 1, 10_000, u) ?? CRAWL_DEFAULTS.concurrency,
    only,
    timeout: integerOf(values, 'timeout', 1, 2 ** 31 - 1, u) ?? CRAWL_DEFAULTS.timeout,
    wait: integerOf(values, 'wait', 0, 2 ** 31 - 1, u) ?? CRAWL_DEFAULTS.wait,
    maxTime: integerOf(values, 'max-time', 1, 7 * 86_400, u) ?? CRAWL_DEFAULTS.maxTime,
    chain,
    chainId: parseChainId(values, u),
    identityFile: stringOf(values, 'identity', u),
    difficulty: difficultyOf(values, u) ?? DEFAULTS.difficulty,
    json: values['json'] === true,
    report: checkReportPath(stringOf(values, 'report', u), u),
  };
}
