/**
 * `p2p-socket load merge A.json B.json…`: one summary from the summaries of runs made at the
 * same time (several machines loading one target). Counts and rates add up; the latency
 * histograms merge bucket by bucket, so the merged percentiles are exact, not averages.
 */
import { failureStatus } from '../exit-status.ts';
import { LARGE_FILE_LIMIT, readOptionFile } from '../option-file.ts';
import { errorJson, errorText, type Output } from '../output.ts';
import { LOAD_MERGE_USAGE } from './load-usage.ts';
import { mergeEncoded, meanMs } from './latency-histogram.ts';
import type { LoadMergeOptions } from './load-options.ts';
import { KindHistograms } from './kind-histograms.ts';
import { buildSummary, summaryText, type KindSummary, type LoadSummary, type NodeInputs } from './load-summary.ts';

export async function runLoadMerge(options: LoadMergeOptions, output: Output): Promise<number> {
  try {
    const summaries = await Promise.all(options.files.map(readSummary));
    const merged = mergeSummaries(summaries, options);
    merged.kinds?.destroy();
    if (output.json) output.summary('load merge', { ...merged.summary, error: null }, '');
    else output.text(summaryText(merged.summary, merged.histogram, [`merged ${summaries.length} runs; mean latency ${meanMs(merged.histogram).toFixed(2)} ms`]));
    merged.histogram.destroy();
    return merged.summary.ok ? 0 : 1;
  } catch (error) {
    output.summary('load merge', { ok: false, error: errorJson(error) }, `load merge failed: ${errorText(error)}`);
    return failureStatus(error);
  }
}

/** A merge input that is not a load summary: the user's file, not our bug (so not INTERNAL_ERROR). */
export class InvalidSummaryError extends Error {
  readonly code = 'INVALID_SUMMARY';
}

/** A summary object, or `load --json` output whose last line is one. */
export async function readSummary(file: string): Promise<LoadSummary> {
  const text = (await readOptionFile(file, 'FILE', LARGE_FILE_LIMIT, LOAD_MERGE_USAGE)).trim();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    try {
      value = JSON.parse(text.split('\n').at(-1) ?? '');
    } catch {
      throw new InvalidSummaryError(`${file}: neither a JSON summary nor JSON lines`);
    }
  }
  const summary = (typeof value === 'object' && value !== null ? value : {}) as Partial<LoadSummary>;
  if (typeof summary.histogram !== 'string' || typeof summary.messages_sent !== 'number') throw new InvalidSummaryError(`${file}: not a p2p-socket load summary (no histogram)`);
  return summary as LoadSummary;
}

function addTables(tables: ReadonlyArray<Readonly<Record<string, number>>>): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const table of tables) for (const [code, n] of Object.entries(table)) sum[code] = (sum[code] ?? 0) + n;
  return sum;
}

export function mergeSummaries(summaries: readonly LoadSummary[], options: Pick<LoadMergeOptions, 'thresholds'>) {
  const add = (pick: (s: LoadSummary) => number): number => summaries.reduce((sum, s) => sum + pick(s), 0);
  const unique = (pick: (s: LoadSummary) => string): string[] => [...new Set(summaries.map(pick))];
  const modes = unique((s) => s.mode);
  const histogram = mergeEncoded(summaries.map((s) => s.histogram));
  const nodeInputs = mergeNode(summaries);
  const summary = buildSummary(
    {
      target: unique((s) => s.target).join(', '),
      mode: modes.length === 1 ? modes[0]! : 'mixed',
      connectionsTarget: add((s) => s.connections_target),
      connectionsReached: add((s) => s.connections_reached),
      handshakesOk: add((s) => s.handshakes_ok),
      handshakeErrors: addTables(summaries.map((s) => s.handshake_errors)),
      errors: addTables(summaries.map((s) => s.errors)),
      messagesSent: add((s) => s.messages_sent),
      messagesReceived: add((s) => s.messages_received),
      messagesInFlight: add((s) => s.messages_in_flight ?? 0),
      bytesSent: add((s) => s.bytes_sent),
      bytesReceived: add((s) => s.bytes_received),
      // The runs loaded the target at the same time: their rates add up.
      msgsPerS: add((s) => s.msgs_per_s),
      mbPerS: add((s) => s.mb_per_s),
      handshakesPerS: add((s) => s.handshakes_per_s),
      histogram,
      generatorSaturated: summaries.some((s) => s.generator_saturated),
      failed: summaries.some((s) => !s.ok),
      node: nodeInputs,
    },
    options.thresholds,
  );
  return { summary, histogram, kinds: nodeInputs?.kinds };
}

/** Node-mode runs: kinds' counts add up, their histograms merge exactly, rates add up. */
function mergeNode(summaries: readonly LoadSummary[]): NodeInputs | undefined {
  const nodes = summaries.flatMap((s) => (s.node ? [s.node] : []));
  if (nodes.length === 0) return undefined;
  const kinds = summaries.map((s) => s.by_kind ?? {});
  const field = (pick: (k: KindSummary) => number): Record<string, number> => addTables(kinds.map((byKind) => Object.fromEntries(Object.entries(byKind).map(([kind, k]) => [kind, pick(k)]))));
  const unique = (values: ReadonlyArray<string | null>): string[] => [...new Set(values.flatMap((v) => (v === null ? [] : [v])))];
  const rates = [...new Set(nodes.map((n) => n.rate_per_connection))];
  return {
    kinds: KindHistograms.merged(kinds.map((byKind) => Object.fromEntries(Object.entries(byKind).flatMap(([kind, k]) => (k.histogram === '' ? [] : [[kind, k.histogram]]))))),
    requests: field((k) => k.sent),
    answers: field((k) => k.answered),
    unanswered: field((k) => k.unanswered),
    // The runs went on at the same time: their rates add up.
    windowAnswers: field((k) => k.per_s),
    windowSeconds: 1,
    run: {
      chain_id: unique(nodes.map((n) => n.chain_id)).join(', ') || null,
      mix: unique(nodes.map((n) => n.mix)).join(' / '),
      rate_per_connection: rates.length === 1 ? rates[0]! : null,
      early_requests: addTables(nodes.map((n) => n.early_requests)),
      unsolicited: nodes.reduce((sum, n) => sum + n.unsolicited, 0),
    },
  };
}
