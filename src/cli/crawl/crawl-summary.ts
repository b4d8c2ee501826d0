/**
 * The summary of a crawl: one JSON object other programs read (keys kept stable, docs/cli.md),
 * with every peer's record, and the table a person reads.
 */
import Table from 'cli-table3';
import { formatPoint } from '../../shared/wire/point.ts';
import { metadataJson, versionJson } from '../connection-report.ts';
import { codes } from '../load/load-summary.ts';
import type { JsonRecord } from '../output.ts';
import { peerText } from '../peer-text.ts';
import type { CrawlOptions } from './crawl-options.ts';
import type { CrawlWalk } from './crawl-scheduler.ts';
import type { PeerFailure, PeerRecord } from './peer-record.ts';

/** One dialled point in the JSON summary. */
export interface PeerJson {
  readonly point: string;
  readonly depth: number;
  /** The point of the peer that first handed this one over; `null` for a seed. */
  readonly via: string | null;
  readonly ok: boolean;
  readonly peer_id: string | null;
  readonly announced_version: JsonRecord | null;
  readonly metadata: JsonRecord | null;
  readonly chain_id: string | null;
  readonly head: { readonly level: number; readonly hash: string; readonly timestamp: string; readonly proto: number } | null;
  readonly advertised: readonly string[];
  readonly handshake_ms: number | null;
  readonly failure: JsonRecord | null;
}

export interface CrawlSummary {
  readonly ok: boolean;
  readonly seeds: readonly string[];
  readonly only: readonly string[] | null;
  readonly limits: { readonly max_peers: number; readonly depth: number; readonly concurrency: number; readonly timeout_ms: number; readonly wait_ms: number; readonly max_time_s: number };
  readonly stopped_by: string;
  readonly duration_ms: number;
  readonly dialled: number;
  readonly answered: number;
  readonly with_head: number;
  readonly failures: Readonly<Record<string, number>>;
  readonly chains: Readonly<Record<string, number>>;
  readonly max_depth: number;
  readonly peers: readonly PeerJson[];
  /** Points handed over but not dialled, and why. */
  readonly not_dialled: ReadonlyArray<{ readonly point: string; readonly depth: number; readonly via: string | null; readonly reason: string }>;
}

/** The keys of CrawlSummary, in order (the test checks the JSON has exactly these). */
export const CRAWL_SUMMARY_KEYS = [
  'ok',
  'seeds',
  'only',
  'limits',
  'stopped_by',
  'duration_ms',
  'dialled',
  'answered',
  'with_head',
  'failures',
  'chains',
  'max_depth',
  'peers',
  'not_dialled',
] as const;

function failureJson(failure: PeerFailure): JsonRecord {
  return {
    kind: failure.kind,
    code: failure.code,
    message: failure.message,
    ...(failure.motive === undefined ? {} : { motive: failure.motive, motive_name: failure.motiveName ?? null }),
  };
}

export function peerJson(visit: CrawlWalk<PeerRecord>['visits'][number]): PeerJson {
  const r = visit.result;
  return {
    point: visit.key,
    depth: visit.depth,
    via: visit.via ?? null,
    // The handshake went through and nothing undecodable followed.
    ok: r.peerId !== undefined && (r.failure === undefined || r.failure.kind === 'aborted'),
    peer_id: r.peerId ?? null,
    announced_version: r.announcedVersion ? versionJson(r.announcedVersion) : null,
    metadata: r.metadata ? metadataJson(r.metadata) : null,
    chain_id: r.chainId ?? null,
    head: r.head ? { level: r.head.level, hash: r.head.hash, timestamp: r.head.timestamp, proto: r.head.proto } : null,
    advertised: r.advertised.map(formatPoint),
    handshake_ms: r.handshakeMs === undefined ? null : Math.round(r.handshakeMs * 10) / 10,
    failure: r.failure ? failureJson(r.failure) : null,
  };
}

function countBy(keys: Iterable<string>): Record<string, number> {
  const table: Record<string, number> = {};
  for (const key of keys) table[key] = (table[key] ?? 0) + 1;
  return Object.fromEntries(Object.entries(table).sort(([a], [b]) => a.localeCompare(b)));
}

export function buildCrawlSummary(walk: CrawlWalk<PeerRecord>, options: CrawlOptions): CrawlSummary {
  const peers = walk.visits.map(peerJson);
  const answered = peers.filter((p) => p.peer_id !== null).length;
  return {
    ok: answered > 0,
    seeds: options.seeds.map(({ host, port }) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`)),
    only: options.only ? [...options.only.ranges] : null,
    limits: {
      max_peers: options.maxPeers,
      depth: options.depth,
      concurrency: options.concurrency,
      timeout_ms: options.timeout,
      wait_ms: options.wait,
      max_time_s: options.maxTime,
    },
    stopped_by: walk.stoppedBy,
    duration_ms: Math.round(walk.durationMs),
    dialled: peers.length,
    answered,
    with_head: peers.filter((p) => p.head !== null).length,
    failures: countBy(peers.flatMap((p) => (p.failure === null ? [] : [String(p.failure['kind'])]))),
    chains: countBy(peers.flatMap((p) => (p.chain_id === null ? [] : [p.chain_id]))),
    max_depth: Math.max(0, ...peers.map((p) => p.depth)),
    peers,
    not_dialled: walk.skipped.map((s) => ({ point: s.key, depth: s.depth, via: s.via ?? null, reason: s.reason })),
  };
}

/** No colours: the summary often lands in a file or a CI log. */
const TABLE_STYLE = { head: [] as string[], border: [] as string[] };

/** What the peer's row says in its last column. */
export function statusText(peer: PeerJson): string {
  const f = peer.failure;
  if (f === null) return 'ok';
  const kind = String(f['kind']);
  if (kind === 'nack') return `nack ${String(f['motive_name'])}`;
  if (kind === 'error' || kind === 'garbage' || kind === 'closed') return `${kind} ${String(f['code'])}`;
  return kind;
}

export function crawlSummaryText(summary: CrawlSummary, notes: readonly string[]): string {
  const table = new Table({
    head: ['Point', 'Depth', 'Peer id', 'Version', 'Chain', 'Head', 'Head hash', 'Adv.', 'Handshake', 'Status'],
    style: TABLE_STYLE,
  });
  for (const p of summary.peers) {
    const v = p.announced_version;
    table.push([
      p.point,
      String(p.depth),
      p.peer_id ?? '',
      v ? `${peerText(String(v['chain_name']))} ${String(v['distributed_db_version'])}/${String(v['p2p_version'])}` : '',
      p.chain_id ?? '',
      p.head ? String(p.head.level) : '',
      p.head ? `${p.head.hash.slice(0, 12)}…` : '',
      String(p.advertised.length),
      p.handshake_ms === null ? '' : `${p.handshake_ms.toFixed(1)} ms`,
      statusText(p),
    ]);
  }
  const skipped = countBy(summary.not_dialled.map((s) => s.reason));
  const lines = [
    `crawl from ${summary.seeds.join(', ')}: ${summary.dialled} dialled, ${summary.answered} answered, ${summary.with_head} with a head, ` +
      `depth ${summary.max_depth}, ${(summary.duration_ms / 1000).toFixed(1)} s, stopped: ${summary.stopped_by}`,
    table.toString(),
    `failures: ${codes(summary.failures)}`,
    `chains: ${codes(summary.chains)}`,
    `handed over but not dialled: ${codes(skipped)}`,
    ...notes,
    summary.ok ? 'ok' : 'FAILED: no peer answered',
  ];
  return lines.join('\n');
}
