/**
 * `p2p-socket crawl HOST:PORT…`: one identity for the whole crawl, the walk (crawl-scheduler.ts)
 * with a probe per point (peer-probe.ts), progress on a terminal, then the summary (table, or
 * JSON on stdout) and the report page. Exit 0 when at least one peer answered the handshake.
 */
import { parsePoint, type Point } from '../../shared/wire/point.ts';
import { DEFAULTS } from '../peer-options.ts';
import { errorJson, errorText, type Output } from '../output.ts';
import { preparePeer } from '../peer-setup.ts';
import type { CrawlOptions } from './crawl-options.ts';
import { writeCrawlReport } from './crawl-report.ts';
import { crawlBreadthFirst } from './crawl-scheduler.ts';
import { buildCrawlSummary, crawlSummaryText } from './crawl-summary.ts';
import { probePeer } from './peer-probe.ts';
import { CRAWL_USAGE } from './crawl-usage.ts';
import { failureStatus } from '../exit-status.ts';

export async function runCrawl(options: CrawlOptions, output: Output): Promise<number> {
  const interrupt = new AbortController();
  const onSignal = (): void => {
    output.warn('stopping early: the summary covers what was crawled');
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const setup = await preparePeer(
      {
        identityFile: options.identityFile,
        difficulty: options.difficulty,
        chain: options.chain,
        ddb: DEFAULTS.ddb,
        p2p: DEFAULTS.p2p,
        // Nodes answer Bootstrap only to public peers; an empty mempool in every Current_head.
        privateNode: false,
        disableMempool: true,
        chunkSize: undefined,
        timeout: options.timeout,
        json: options.json,
      },
      output,
      CRAWL_USAGE,
    );
    const seeds = options.seeds.map(seedPoint);
    const only = options.only;
    const walk = await crawlBreadthFirst(
      seeds,
      { maxPeers: options.maxPeers, depth: options.depth, concurrency: options.concurrency, maxTimeMs: options.maxTime * 1000 },
      {
        probe: (point, signal) =>
          probePeer(point, { identity: setup.identity, announcedVersion: setup.announced, metadata: setup.metadata, timeout: options.timeout, wait: options.wait, chainId: options.chainId }, signal),
        handedOver: (record) => record.advertised,
        allows: (point) => only === undefined || only.allows(point.host),
        onVisit: (visit, running, queued) => output.progress(`crawl: ${visit.key} done; ${running} dialling, ${queued} queued`),
        interrupt: interrupt.signal,
      },
    );
    output.clearProgress();
    const summary = buildCrawlSummary(walk, options);
    const notes = [`crawled as ${setup.identity.peerId} (port 0 announced)`];
    if (options.report !== undefined) {
      await writeCrawlReport(options.report, summary, `p2p-socket crawl from ${summary.seeds.join(', ')}`);
      notes.push(`report written to ${options.report}`);
    }
    if (output.json) output.summary('crawl', { ...summary, error: null }, '');
    else output.text(crawlSummaryText(summary, notes));
    return summary.ok ? 0 : 1;
  } catch (error) {
    output.summary('crawl', { ok: false, error: errorJson(error) }, `crawl failed: ${errorText(error)}`);
    return failureStatus(error);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * A seed as the walk keys points: an IP literal in canonical form. A host name is dialled as
 * given (only advertised points must be IP literals).
 */
function seedPoint(seed: { readonly host: string; readonly port: number }): Point {
  try {
    return parsePoint(seed.host.includes(':') ? `[${seed.host}]:${seed.port}` : `${seed.host}:${seed.port}`);
  } catch {
    return { host: seed.host, port: seed.port };
  }
}
