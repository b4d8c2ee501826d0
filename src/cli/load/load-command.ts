/**
 * `p2p-socket load [HOST:PORT]`: identities, the embedded target when no HOST:PORT is given, the
 * run (load-run.ts) with its live view, then the summary (table, or JSON last on stdout), the
 * thresholds and the HTML report. Exit 0 when the run reached `--min-connections` (default all
 * of them) and every threshold held; the summary is printed even when the report cannot be written.
 */
import type { Identity } from '../../shared/identity.ts';
import { generateIdentities } from '../../main/generate-identities.ts';
import { readIdentitiesFile } from '../identities-file.ts';
import { errorJson, errorText, type JsonRecord, type Output } from '../output.ts';
import { EmbeddedTarget } from './embedded-target.ts';
import { LiveView } from './live-view.ts';
import { defaultProcesses, type LoadOptions } from './load-options.ts';
import { writeReport } from './load-report.ts';
import { runLoad, type RunOutcome } from './load-run.ts';
import { buildSummary, round, summaryText, total, type LoadSummary } from './load-summary.ts';
import { REFUSED_BEFORE_HANDSHAKE } from './failure-key.ts';
import { mixText } from './node-mix.ts';
import { parseThreshold, type Threshold } from './thresholds.ts';
import { resolveSizes } from './message-sizes.ts';
import { LOAD_USAGE } from './load-usage.ts';
import { failureStatus } from '../exit-status.ts';
import { MESSAGE_LIMIT, peerText } from '../peer-text.ts';

/** A configuration the run refuses (exit 1 with this code in the summary's error). */
export class LoadSetupError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export async function runLoadCommand(options: LoadOptions, output: Output): Promise<number> {
  const embedded = `listen${options.mode === 'node' ? ' --node' : ''} --workers ${options.targetWorkers}`;
  const targetText = options.target === undefined ? `embedded (${embedded})` : `${options.target.host}:${options.target.port}`;
  let target: EmbeddedTarget | undefined;
  const stopEarly = { requested: false };
  const onSignal = (): void => {
    output.warn('stopping early: the summary covers what ran');
    stopEarly.requested = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const sizes = await resolveSizes(options.size);
    const identities = await loadIdentities(options, output);
    if (options.target === undefined) {
      target = await EmbeddedTarget.start({
        workers: options.targetWorkers,
        echo: options.mode === 'echo',
        node: options.mode === 'node',
        connections: options.connections,
        difficulty: options.difficulty,
        chain: options.chain,
        flags: options.targetFlags,
      });
      const metricsUrl = target.metricsUrl;
      if (metricsUrl !== undefined) output.event('metrics', { url: metricsUrl }, `target metrics at ${metricsUrl}`);
    }
    const host = options.target?.host ?? '127.0.0.1';
    const port = options.target?.port ?? target!.port;
    const processes = Math.min(options.processes ?? defaultProcesses(options), options.connections);
    const where = target === undefined ? targetText : `127.0.0.1:${port} (embedded, ${embedded})`;
    const view = new LiveView(output.stderrStream, output.interactive, {
      target: where,
      mode: options.mode,
      connections: options.connections,
      warmup: options.warmup,
      duration: options.duration,
      processes,
    });
    const outcome = await runLoad(
      {
        host,
        port,
        mode: options.mode,
        connections: options.connections,
        ramp: options.ramp,
        rate: options.rate,
        inFlight: options.inFlight,
        chain: options.chain,
        timeout: options.timeout,
        connectConcurrency: options.connectConcurrency,
        processes,
        warmup: options.warmup,
        duration: options.duration,
        sizes,
        identities,
        node: options.node,
      },
      (point) => view.update(point),
      stopEarly,
    );
    view.done();
    const targetSummary = await target?.stop();
    target = undefined;
    let summary = summarize(outcome, options, where);
    const notes = [
      `${processes} generator process${processes === 1 ? '' : 'es'}, busiest ${(outcome.busiest * 100).toFixed(0)} % busy over the window (${outcome.windowSeconds.toFixed(1)} s)`,
      ...outcome.failures.map((failure) => `generator failure: ${peerText(failure, MESSAGE_LIMIT)}`),
      ...(targetSummary ? [targetLine(targetSummary)] : []),
      ...shortfallNotes(summary, options.minConnections),
    ];
    let reportError: unknown;
    if (options.report !== undefined) {
      try {
        await writeReport(options.report, { summary, points: outcome.points, histogram: outcome.histogram, kinds: outcome.kinds, title: `p2p-socket load: ${options.mode} on ${where}` });
        notes.push(`report written to ${options.report}`);
      } catch (error) {
        // Checked before the run, and still failed: the results are printed all the same.
        reportError = error;
        summary = { ...summary, ok: false };
        notes.push(`report NOT written: ${errorText(error)}`);
      }
    }
    if (output.json) output.summary('load', { ...summary, error: reportError === undefined ? null : errorJson(reportError) }, '');
    else output.text(summaryText(summary, outcome.histogram, notes));
    outcome.histogram.destroy();
    outcome.kinds.destroy();
    return summary.ok ? 0 : 1;
  } catch (error) {
    const json = error instanceof LoadSetupError ? { code: error.code, message: error.message } : errorJson(error);
    output.summary('load', { ok: false, target: targetText, mode: options.mode, error: json }, `load failed: ${error instanceof LoadSetupError ? `${error.code}: ${error.message}` : errorText(error)}`);
    return failureStatus(error);
  } finally {
    target?.kill();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function summarize(outcome: RunOutcome, options: LoadOptions, target: string): LoadSummary {
  const { totals, window, windowSeconds } = outcome;
  const seconds = Math.max(windowSeconds, 1e-3);
  // msgs/s: round trips in echo, messages handed over in send, answered requests in node (churn has none).
  const messages =
    options.mode === 'echo' ? window.messagesReceived
    : options.mode === 'send' ? window.messagesSent
    : options.mode === 'node' ? total(window.answers)
    : 0;
  return buildSummary(
    {
      target,
      mode: options.mode,
      connectionsTarget: options.connections,
      connectionsReached: totals.peakConnections,
      handshakesOk: totals.handshakesOk,
      handshakeErrors: totals.handshakeErrors,
      errors: totals.errors,
      messagesSent: totals.messagesSent,
      messagesReceived: totals.messagesReceived,
      messagesInFlight: totals.inFlight,
      bytesSent: totals.bytesSent,
      bytesReceived: totals.bytesReceived,
      msgsPerS: messages / seconds,
      mbPerS: (window.bytesSent + window.bytesReceived) / 1e6 / seconds,
      handshakesPerS: window.handshakesOk / seconds,
      histogram: outcome.histogram,
      generatorSaturated: outcome.saturated,
      failed: totals.handshakesOk === 0 || outcome.failures.length > 0,
      node:
        options.node === undefined ? undefined : (
          {
            kinds: outcome.kinds,
            requests: totals.requests,
            answers: totals.answers,
            unanswered: totals.unanswered,
            windowAnswers: window.answers,
            windowSeconds,
            run: {
              chain_id: totals.chainId ?? null,
              mix: mixText(options.node.mix),
              rate_per_connection: options.node.ratePerConnection === undefined ? null : round(options.node.ratePerConnection, 4),
              early_requests: totals.early,
              unsolicited: totals.unsolicited,
            },
          }
        ),
    },
    thresholdsOf(options),
  );
}

/** The user's thresholds, then `connections>=N` for `--min-connections` (default: every connection asked for). */
function thresholdsOf(options: LoadOptions): readonly Threshold[] {
  if (options.minConnections === undefined) return options.thresholds;
  return [...options.thresholds, parseThreshold(`connections>=${options.minConnections}`)];
}

/**
 * When connections are missing: how many, and what the failures in `handshake_errors` point at,
 * with the target's flags and Pool options that govern them.
 */
function shortfallNotes(summary: LoadSummary, minConnections: number | undefined): string[] {
  const notes: string[] = [];
  const reached = summary.connections_reached;
  if (minConnections !== undefined && reached < minConnections) {
    notes.push(`only ${reached} of ${summary.connections_target} connections reached (--min-connections ${minConnections}): the run FAILED (handshake errors above say why)`);
  }
  const seen = (part: string): boolean => Object.keys(summary.handshake_errors).some((key) => key.includes(part));
  if (seen(REFUSED_BEFORE_HANDSHAKE)) {
    notes.push(
      `"${REFUSED_BEFORE_HANDSHAKE}": the target closed these dials before any handshake byte, so it refused them before authentication: ` +
        "its admission limits (listen --max-handshakes; a Pool's maxIncomingHandshakes, maxIncomingHandshakesPerAddress) or our address greylisted; " +
        'lower --connect-concurrency or raise those limits (each refused dial is tried again up to 5 times)',
    );
  }
  if (seen('Too_many_connections')) notes.push('Too_many_connections: the target is full (listen --max-connections; a Pool\'s maxConnections)');
  if (seen('Already_connected')) notes.push('Already_connected: the target refuses a second connection per peer id (more --identities, or listen --allow-duplicate-peers)');
  if (seen('ECONNREFUSED')) notes.push('ECONNREFUSED: nothing listens at the target address');
  return notes;
}

function targetLine(summary: JsonRecord): string {
  return `embedded target: ${String(summary['connections_accepted'])} connections accepted, ${String(summary['messages_received'])} messages received, ${String(summary['messages_sent'])} sent`;
}

/**
 * The peers the run appears as. From `--identities`: more connections than identities need a
 * target that allows duplicate peer ids (a node refuses a second connection from one peer id,
 * protocol.md §11.2). Otherwise one fresh identity per connection at `--difficulty`.
 */
async function loadIdentities(options: LoadOptions, output: Output): Promise<Identity[]> {
  if (options.identitiesFile !== undefined) {
    const identities = await readIdentitiesFile(options.identitiesFile, LOAD_USAGE, options.difficulty > 0 ? options.difficulty : undefined);
    const duplicatesAllowed = options.allowDuplicatePeers || options.target === undefined;
    if (identities.length < options.connections && !duplicatesAllowed) {
      throw new LoadSetupError(
        'TOO_FEW_IDENTITIES',
        `${options.connections} connections but ${options.identitiesFile} holds ${identities.length} identities: a node refuses a second ` +
          `connection from one peer id. Make more ('p2p-socket identity generate --count ${options.connections} --out FILE') ` +
          `or, if the target allows duplicate peers (listen --allow-duplicate-peers), pass --allow-duplicate-peers.`,
      );
    }
    return identities;
  }
  let drawn = -Infinity;
  const identities = await generateIdentities({
    count: options.connections,
    difficulty: options.difficulty,
    onProgress: ({ found, count, seconds }) => {
      if (seconds - drawn < 0.2) return;
      drawn = seconds;
      output.progress(`making ${count} identities at difficulty ${options.difficulty}: ${found}/${count}, ${seconds.toFixed(1)} s`);
    },
  });
  output.clearProgress();
  return identities;
}
