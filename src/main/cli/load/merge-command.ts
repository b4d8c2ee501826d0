/**
 * `p2p-socket load merge A.json B.json…`: one summary from the summaries of runs made at the
 * same time (several machines loading one target). Counts and rates add up; the latency
 * histograms merge bucket by bucket, so the merged percentiles are exact, not averages.
 */
import { readFile } from 'node:fs/promises';
import { errorJson, errorText, type Output } from '../output.ts';
import { mergeEncoded, meanMs } from './latency-histogram.ts';
import type { LoadMergeOptions } from './load-options.ts';
import { buildSummary, summaryText, type LoadSummary } from './load-summary.ts';

export async function runLoadMerge(options: LoadMergeOptions, output: Output): Promise<number> {
  try {
    const summaries = await Promise.all(options.files.map(readSummary));
    const merged = mergeSummaries(summaries, options);
    if (output.json) output.summary('load merge', { ...merged.summary, error: null }, '');
    else output.text(summaryText(merged.summary, merged.histogram, [`merged ${summaries.length} runs; mean latency ${meanMs(merged.histogram).toFixed(2)} ms`]));
    merged.histogram.destroy();
    return merged.summary.ok ? 0 : 1;
  } catch (error) {
    output.summary('load merge', { ok: false, error: errorJson(error) }, `load merge failed: ${errorText(error)}`);
    return 1;
  }
}

/** A merge input that is not a load summary: the user's file, not our bug (so not INTERNAL_ERROR). */
export class InvalidSummaryError extends Error {
  readonly code = 'INVALID_SUMMARY';
}

/** A summary object, or `load --json` output whose last line is one. */
export async function readSummary(file: string): Promise<LoadSummary> {
  const text = (await readFile(file, 'utf8')).trim();
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
    },
    options.thresholds,
  );
  return { summary, histogram };
}
