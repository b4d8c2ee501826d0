/**
 * `p2p-socket listen`: accept peers, authenticate them, apply the version policy (or `--nack`
 * everyone), then read each peer's messages until it closes, echoing them with `--echo`.
 *
 * A peer that fails its handshake is one failed connection entry; the listener keeps serving the
 * others. With `--connections N` it stops accepting after N connections and exits once they have
 * all ended; otherwise it runs until SIGINT/SIGTERM. Exit status 0 only if every entry is ok.
 */
import { once } from 'node:events';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { P2pError } from '../shared/errors.ts';
import type { NodeMetadata } from '../shared/wire/metadata.ts';
import { formatPoint } from '../shared/wire/point.ts';
import { authenticate } from '../main/authenticate.ts';
import type { Connection } from '../main/connection.ts';
import type { ListenOptions } from './listen-options.ts';
import { addressText, ConnectionReport } from './connection-report.ts';
import { counted, errorJson, errorText, type Output } from './output.ts';
import { runPoolListen } from './pool-listen.ts';
import { replaceFile } from './replace-file.ts';
import { failureStatus } from './exit-status.ts';
import { LISTEN_USAGE } from './usage.ts';
import { countingCodec, NodeService } from './node-service.ts';
import type { Stat } from '../shared/session/traffic-stats.ts';
import { negotiateAndAccept, preparePeer, remaining, type PeerSetup } from './peer-setup.ts';

export async function runListen(options: ListenOptions, output: Output): Promise<number> {
  if (options.pool !== undefined) return runPoolListen(options, options.pool, output);
  let setup: PeerSetup;
  try {
    setup = await preparePeer(options, output, LISTEN_USAGE);
  } catch (error) {
    output.summary('listen', { ok: false, host: options.host, port: options.port, local_peer_id: null, connections: [], error: errorJson(error) }, `listen failed: ${errorText(error)}`);
    return failureStatus(error);
  }
  const node = options.node && new NodeService(options.node, setup.local.chainName);
  const server = createServer({ pauseOnConnect: true });
  const ended: Array<{ readonly index: number; readonly report: ConnectionReport }> = [];
  const active = new Set<Promise<void>>();
  const live = new Set<Socket>();
  let accepted = 0;
  let port = options.port;
  let stopping = false;
  let signalled: NodeJS.Signals | undefined;

  // Resolves when we stop: N connections ended, or a signal.
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    signalled = signal;
    output.warn('stopping');
    stopping = true;
    for (const socket of live) socket.destroy();
    stop();
  };

  server.on('connection', (socket: Socket) => {
    if (stopping) {
      socket.destroy();
      return;
    }
    accepted++;
    // Past the N-th connection, take no more: later peers are refused by the kernel.
    if (options.connections !== undefined && accepted >= options.connections) server.close();
    const index = accepted;
    live.add(socket);
    socket.once('close', () => live.delete(socket));
    const handled = serve(socket, options, setup, port, node).then((report) => {
      ended.push({ index, report });
      output.event('connection', { index, ...report.toJson() }, [`connection #${index} from ${report.remote}`, ...report.describe()].join('\n  '));
      active.delete(handled);
      if (options.connections !== undefined && ended.length >= options.connections) stop();
    });
    active.add(handled);
  });

  try {
    server.listen(options.port, options.host);
    await Promise.race([
      once(server, 'listening'),
      once(server, 'error').then(([error]) => Promise.reject(error as Error)),
    ]);
    port = (server.address() as AddressInfo).port;
    const where = addressText(options.host, port);
    output.event(
      'listening',
      { host: options.host, port, peer_id: setup.identity.peerId, ...(node ? node.describeJson() : {}) },
      `listening on ${where} as ${setup.identity.peerId}${node ? `, ${node.describe()}` : ''}`,
    );
    if (options.readyFile !== undefined) await writeReadyFile(options.readyFile, port);
  } catch (error) {
    server.close();
    node?.stop();
    output.summary('listen', { ok: false, host: options.host, port: options.port, local_peer_id: setup.identity.peerId, connections: [], error: errorJson(error) }, `listen failed: ${errorText(error)}`);
    return 1;
  }

  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await stopped;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    stopping = true;
    server.close();
    while (active.size > 0) await Promise.all(active);
    node?.stop();
  }

  // A signal before the N connections asked for were served is a failure, not a clean end.
  const interrupted = signalled !== undefined && options.connections !== undefined && ended.length < options.connections;
  const error = interrupted ? { code: 'INTERRUPTED', message: `stopped by ${signalled} after serving ${ended.length} of --connections ${options.connections}` } : null;
  const ok = !interrupted && ended.every(({ report }) => report.ok);
  const failed = ended.filter(({ report }) => !report.ok).length;
  output.summary(
    'listen',
    {
      ok,
      host: options.host,
      port,
      local_peer_id: setup.identity.peerId,
      connections: ended.map(({ index, report }) => ({ index, ...report.toJson() })),
      error,
    },
    error ? `listen failed: ${error.message}` : `listen done: ${counted(ended.length, 'connection')}, ${failed} failed`,
  );
  return ok ? 0 : 1;
}

/** One connection, start to end; never rejects (its failure is in the report). */
async function serve(socket: Socket, options: ListenOptions, setup: PeerSetup, port: number, node: NodeService | undefined): Promise<ConnectionReport> {
  const report = new ConnectionReport(addressText(socket.remoteAddress, socket.remotePort));
  let connection: { close(options: { wait: boolean }): Promise<unknown>; stat(): Stat } | undefined;
  try {
    const started = Date.now();
    const peer = await authenticate(socket, {
      identity: setup.identity,
      incoming: true,
      announcedVersion: setup.announced,
      metadata: setup.metadata,
      proofOfWorkDifficulty: options.difficulty,
      advertisedPort: port,
      timeout: options.timeout,
    });
    report.info = peer.info;

    if (options.nack) {
      // Refusing on purpose is this connection's success.
      await peer.nack(options.nack.motive, options.nack.points);
      report.nackSent = { motive: options.nack.motive, points: options.nack.points.map(formatPoint) };
      return report;
    }
    const accept = { chunkSize: options.chunkSize, timeout: remaining(options.timeout, started) };
    if (node) {
      const bytes = { received: 0, sent: 0 };
      const conn = await negotiateAndAccept(peer, setup.local, report, { ...accept, codec: countingCodec(bytes) });
      connection = conn;
      try {
        await node.serve(conn);
      } finally {
        report.messagesReceived = conn.messageCounts.received;
        report.messagesSent = conn.messageCounts.sent;
        report.bytesReceived = bytes.received;
        report.bytesSent = bytes.sent;
      }
    } else {
      const conn = await negotiateAndAccept(peer, setup.local, report, accept);
      connection = conn;
      await relay(conn, options.echo, options.timeout, report);
    }
  } catch (error) {
    report.fail(error);
  } finally {
    if (connection) {
      // Flush the last echoes of a connection that went well; after a failure, nothing to wait for.
      await connection.close({ wait: report.ok });
      report.stat = connection.stat();
    } else {
      socket.destroy();
    }
    report.finish();
  }
  return report;
}

/**
 * Reads until the peer closes (the normal end), echoing with `--echo`: each echo must be taken
 * within `timeout` (TIMEOUT otherwise), so a peer that sends and never reads cannot hold the
 * connection, and with `--connections N` the listener, forever.
 */
async function relay(connection: Connection<Uint8Array, NodeMetadata>, echo: boolean, timeout: number, report: ConnectionReport): Promise<void> {
  let echoing = echo;
  for (;;) {
    let message: Uint8Array;
    try {
      ({ message } = await connection.read());
    } catch (error) {
      // CONNECTION_CLOSED is the peer hanging up; anything else (DECIPHER_ERROR…) is a failure.
      if (error instanceof P2pError && error.code === 'CONNECTION_CLOSED') return;
      throw error;
    }
    report.messagesReceived++;
    report.bytesReceived += message.length;
    if (!echoing) continue;
    try {
      await connection.write(message, { signal: AbortSignal.timeout(timeout) });
      report.messagesSent++;
      report.bytesSent += message.length;
    } catch (error) {
      // The peer closed without waiting for its echoes: keep counting what it sent.
      if (error instanceof P2pError && error.code === 'CONNECTION_CLOSED') echoing = false;
      else throw error;
    }
  }
}

/** Writes the port, just the number (replace-file.ts: never partial, no planted file followed). */
export async function writeReadyFile(path: string, port: number): Promise<void> {
  await replaceFile(path, String(port));
}
