/**
 * `p2p-socket listen --workers N`: a node-like target. A `Pool` (docs/pool.md) runs the node's
 * accept policy on the main thread and the sockets on N shard threads (0: the inline pool), so
 * one listener holds thousands of peers; `p2p-socket load` aims at it.
 *
 * Per-connection records would be thousands of lines: this mode prints totals instead (the
 * summary's `connections_*`, `messages_*`, `bytes_*`, `refused` and `errors` by code), and a line
 * for each greylisting and for the first refusal of each kind from each address. `--connections
 * N` still means "exit after N connections ended"; otherwise it runs until SIGINT/SIGTERM.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { P2pError } from '../shared/errors.ts';
import type { NodeMetadata } from '../shared/wire/metadata.ts';
import { bytesCodec, type MessageCodec } from '../main/codecs.ts';
import type { PeerMessage } from '../messages/peer-message.ts';
import { NodeService } from './node-service.ts';
import type { Connection } from '../main/connection.ts';
import { Pool } from '../main/pool.ts';
import type { Greylisting, Refusal } from '../main/refusal.ts';
import { motiveName } from '../shared/wire/rejection.ts';
import type { ListenOptions } from './listen-options.ts';
import { addressText } from './connection-report.ts';
import { writeReadyFile } from './listen-command.ts';
import { errorJson, errorText, type JsonRecord, type Output } from './output.ts';
import { preparePeer, type PeerSetup } from './peer-setup.ts';
import type { PoolListenOptions } from './pool-listen-options.ts';
import { serveMetrics, type MetricsServer } from './metrics-server.ts';
import { statJson } from '../shared/session/stat-json.ts';
import { failureStatus } from './exit-status.ts';
import { MESSAGE_LIMIT, peerText } from './peer-text.ts';
import { LISTEN_USAGE } from './usage.ts';

type Conn = Connection<Uint8Array, NodeMetadata>;

/** How long closing the pool may take at the end before the listener gives up on it. */
const CLOSE_LIMIT_MS = 10_000;

/** Refusal lines printed at most (one per code and address); past it refusals are only counted. */
const MAX_REFUSAL_LINES = 1000;

/** What the listener counts; the summary prints it. */
interface Totals {
  accepted: number;
  ended: number;
  messagesReceived: number;
  messagesSent: number;
  bytesReceived: number;
  bytesSent: number;
  /** Errors that ended established connections (handshake failures are in pool.stats()). */
  readonly connectionErrors: Record<string, number>;
}

export async function runPoolListen(options: ListenOptions, pooled: PoolListenOptions, output: Output): Promise<number> {
  const failed = (error: unknown, peerId: string | null, port: number): number => {
    output.summary('listen', { ok: false, host: options.host, port, local_peer_id: peerId, workers: pooled.workers, error: errorJson(error) }, `listen failed: ${errorText(error)}`);
    return failureStatus(error);
  };
  let setup: PeerSetup;
  try {
    setup = await preparePeer(options, output, LISTEN_USAGE);
  } catch (error) {
    return failed(error, null, options.port);
  }
  const nack = options.nack;
  const node = options.node && new NodeService(options.node, setup.local.chainName);
  const totals: Totals = { accepted: 0, ended: 0, messagesReceived: 0, messagesSent: 0, bytesReceived: 0, bytesSent: 0, connectionErrors: {} };
  const internalErrors: Error[] = [];

  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const refused: Record<string, number> = {};
  const announced = new Set<string>();
  /** A pool with `codec` whose connections `serve` handles, counted into `totals`; its refusals printed. */
  const openPool = <Msg>(codec: MessageCodec<Msg>, serve: (conn: Connection<Msg, NodeMetadata>) => Promise<void>): Pool<Msg, NodeMetadata> => {
    const pool = new Pool<Msg, NodeMetadata>({
      identity: setup.identity,
      chainName: setup.local.chainName,
      distributedDbVersions: setup.local.distributedDbVersions,
      p2pVersions: setup.local.p2pVersions,
      metadata: setup.metadata,
      codec,
      proofOfWorkDifficulty: options.difficulty,
      workers: pooled.workers,
      maxConnections: pooled.maxConnections,
      maxIncomingHandshakes: pooled.maxHandshakes,
      handshakeTimeout: options.timeout,
      allowDuplicatePeers: pooled.allowDuplicatePeers,
      maxUploadSpeed: pooled.maxUploadSpeed,
      maxDownloadSpeed: pooled.maxDownloadSpeed,
      ...(options.chunkSize === undefined ? {} : { accept: { binaryChunksSize: options.chunkSize } }),
      // `--nack`: refusing every peer on purpose, after the default policy (protocol.md §11.2).
      ...(nack ? { policy: () => ({ action: 'nack' as const, motive: nack.motive, points: nack.points, reason: 'listen --nack refuses every peer' }) } : {}),
    });
    pool.on('error', (error) => internalErrors.push(error));
    pool.on('refused', (refusal) => {
      refused[refusal.code] = (refused[refusal.code] ?? 0) + 1;
      const key = `${refusal.code} ${refusal.address}`;
      if (announced.has(key) || announced.size >= MAX_REFUSAL_LINES) return;
      announced.add(key);
      output.event('refused', refusalJson(refusal), refusalText(refusal));
    });
    pool.on('greylisted', (entry) => output.event('greylisted', greylistingJson(entry), greylistingText(entry)));
    pool.on('connection', (conn) => {
      totals.accepted++;
      void serve(conn).then(() => {
        totals.ended++;
        if (options.connections !== undefined && totals.ended >= options.connections) stop();
      });
    });
    return pool;
  };
  // What the listener does with the pool once serving is set up, whatever its message type.
  const pool: Pick<Pool, 'listen' | 'stats' | 'close' | 'metrics' | 'metricsContentType'> = node
    ? openPool(node.codec, (conn) => serveNode(conn, node, totals))
    : openPool(bytesCodec, (conn) => serve(conn, options.echo, options.timeout, totals));

  let port = options.port;
  let metrics: MetricsServer | undefined;
  try {
    ({ port } = await pool.listen({ host: options.host, port: options.port }));
    if (pooled.metricsPort !== undefined) {
      metrics = await serveMetrics(pool, pooled.metricsPort);
      output.event('metrics', { url: `http://127.0.0.1:${metrics.port}/metrics`, port: metrics.port }, `metrics at http://127.0.0.1:${metrics.port}/metrics`);
    }
    output.event(
      'listening',
      { host: options.host, port, peer_id: setup.identity.peerId, workers: pooled.workers, ...(node ? node.describeJson() : {}) },
      `listening on ${addressText(options.host, port)} as ${setup.identity.peerId} (pool, ${pooled.workers} workers)${node ? `, ${node.describe()}` : ''}`,
    );
    if (options.readyFile !== undefined) await writeReadyFile(options.readyFile, port);
  } catch (error) {
    await metrics?.close();
    await pool.close();
    node?.stop();
    return failed(error, setup.identity.peerId, port);
  }

  let signalled: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    signalled = signal;
    output.warn('stopping');
    stop();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // Started by a program over IPC (`p2p-socket load`'s embedded target): stop when it goes away,
  // so a listener never outlives the run that needed it.
  const onDisconnect = (): void => stop();
  if (process.connected) {
    process.once('disconnect', onDisconnect);
    // The channel alone must not keep the process alive once the listener is done.
    process.channel?.unref();
  }
  try {
    await stopped;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('disconnect', onDisconnect);
  }
  const stats = pool.stats();
  node?.stop();
  if (node) {
    totals.bytesReceived = node.bytes.received;
    totals.bytesSent = node.bytes.sent;
  }
  await metrics?.close();
  // Bounded: a stuck close must not keep the listener from printing its summary and exiting
  // (main.ts exitWith ends the process if something still holds it).
  await Promise.race([pool.close(), sleep(CLOSE_LIMIT_MS, undefined, { ref: false })]);

  const errors: Record<string, number> = { ...stats.errors };
  for (const [code, count] of Object.entries(totals.connectionErrors)) errors[code] = (errors[code] ?? 0) + count;
  if (internalErrors.length > 0) errors['INTERNAL_ERROR'] = (errors['INTERNAL_ERROR'] ?? 0) + internalErrors.length;
  // Refusals (limits, bans, greylisting, nacks, `--nack` included) are the listener doing its job,
  // not failures: `ok` looks at the rest (docs/cli.md, `listen --workers N`).
  const unexpected = Object.entries(errors).filter(([code, count]) => count > (refused[code] ?? 0));
  // A signal before the N connections asked for were served is a failure, as in listen-command.ts.
  const interrupted = signalled !== undefined && options.connections !== undefined && totals.ended < options.connections;
  const error = interrupted ? { code: 'INTERRUPTED', message: `stopped by ${signalled} after serving ${totals.ended} of --connections ${options.connections}` } : null;
  const ok = unexpected.length === 0 && error === null;
  const fields: JsonRecord = {
    ok,
    host: options.host,
    port,
    local_peer_id: setup.identity.peerId,
    workers: pooled.workers,
    connections_accepted: totals.accepted,
    connections_ended: totals.ended,
    handshakes_incoming: stats.handshakes.incoming,
    handshakes_failed: stats.handshakes.failed,
    nacked: stats.nacked,
    refused: Object.fromEntries(Object.entries(refused).sort(([a], [b]) => a.localeCompare(b))),
    messages_received: totals.messagesReceived,
    messages_sent: totals.messagesSent,
    bytes_received: totals.bytesReceived,
    bytes_sent: totals.bytesSent,
    // The pool's P2p_stat: wire bytes, handshakes included (protocol.md §12.2).
    stat: { ...statJson(stats.io) },
    errors,
    error,
  };
  const errorList = Object.entries(errors).map(([code, count]) => `${code} ×${count}${refused[code] ? ` (${refused[code]} refused)` : ''}`).join(', ');
  output.summary(
    'listen',
    fields,
    `listen done: ${totals.accepted} connections accepted, ${totals.ended} ended, ${totals.messagesReceived} messages received, ` +
      `${totals.messagesSent} sent${errorList === '' ? '' : `; errors: ${errorList}`}${error ? `; ${error.message}` : ''}`,
  );
  return ok ? 0 : 1;
}

function refusalJson(refusal: Refusal): JsonRecord {
  return {
    address: refusal.address,
    port: refusal.port ?? null,
    direction: refusal.direction,
    peer_id: refusal.peerId ?? null,
    code: refusal.code,
    reason: refusal.reason,
    option: refusal.option ?? null,
    motive: refusal.motive ?? null,
    motive_name: refusal.motive === undefined ? null : motiveName(refusal.motive),
    until: refusal.until === undefined ? null : new Date(refusal.until).toISOString(),
  };
}

function refusalText(refusal: Refusal): string {
  const option = refusal.option === undefined ? '' : ` (option ${refusal.option})`;
  return `refused ${addressText(refusal.address, refusal.port)}: ${refusal.code}: ${peerText(refusal.reason, MESSAGE_LIMIT)}${option}; more ${refusal.code} from ${refusal.address} are only counted`;
}

function greylistingJson(entry: Greylisting): JsonRecord {
  return { address: entry.address, code: entry.code, reason: entry.reason, option: entry.option, until: new Date(entry.until).toISOString() };
}

function greylistingText(entry: Greylisting): string {
  return `greylisted ${entry.address} until ${new Date(entry.until).toISOString()} after ${entry.code}: ${peerText(entry.reason, MESSAGE_LIMIT)}; its connections are closed before the handshake until then (option ${entry.option})`;
}

/**
 * Serves one connection with the node-like responder; its messages are counted at its end, and
 * the error that ended it (DECODING_ERROR …) in `connectionErrors`.
 */
async function serveNode(conn: Connection<PeerMessage, NodeMetadata>, node: NodeService, totals: Totals): Promise<void> {
  try {
    await node.serve(conn);
  } catch (error) {
    const code = error instanceof P2pError ? error.code : 'INTERNAL_ERROR';
    totals.connectionErrors[code] = (totals.connectionErrors[code] ?? 0) + 1;
  } finally {
    totals.messagesReceived += conn.messageCounts.received;
    totals.messagesSent += conn.messageCounts.sent;
  }
}

/**
 * Reads until the peer closes, echoing with `--echo`: `read()` then whatever `readNow()` has
 * queued, `writeNow` while the outgoing queue has room (docs/pool.md, backpressure), else a
 * write that must be taken within `timeout` (TIMEOUT: a peer that sends and never reads).
 */
async function serve(conn: Conn, echo: boolean, timeout: number, totals: Totals): Promise<void> {
  let echoing = echo;
  try {
    for (;;) {
      let received = await conn.read();
      for (;;) {
        const message = received.message;
        totals.messagesReceived++;
        totals.bytesReceived += message.length;
        if (echoing) {
          try {
            if (!conn.writeNow(message)) await conn.write(message, { signal: AbortSignal.timeout(timeout) });
            totals.messagesSent++;
            totals.bytesSent += message.length;
          } catch (error) {
            // The peer closed without waiting for its echoes: keep counting what it sent.
            if (error instanceof P2pError && error.code === 'CONNECTION_CLOSED') echoing = false;
            else throw error;
          }
        }
        const next = conn.readNow();
        if (next === undefined) break;
        received = next;
      }
    }
  } catch (error) {
    const code = error instanceof P2pError ? error.code : 'INTERNAL_ERROR';
    // CONNECTION_CLOSED is the peer hanging up (or the pool closing): the normal end.
    if (code !== 'CONNECTION_CLOSED') totals.connectionErrors[code] = (totals.connectionErrors[code] ?? 0) + 1;
  } finally {
    await conn.close().catch(() => undefined);
  }
}
