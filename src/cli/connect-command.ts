/**
 * `p2p-socket connect HOST:PORT`: dial, authenticate, check versions (nack on failure), accept,
 * send `--send` random messages of `--size` bytes, optionally read them back (`--expect-echo`),
 * then close after everything queued has been sent. Every step that waits on the peer is bounded
 * by `--timeout` (docs/cli.md): a peer that stops reading or answering ends the run in TIMEOUT.
 */
import { randomBytes } from 'node:crypto';
import { P2pError } from '../shared/errors.ts';
import type { NodeMetadata } from '../shared/wire/metadata.ts';
import type { Connection } from '../main/connection.ts';
import { connect } from '../main/connect.ts';
import type { ConnectOptions } from './connect-options.ts';
import { ConnectionReport } from './connection-report.ts';
import type { Output } from './output.ts';
import { CONNECT_USAGE } from './usage.ts';
import { EXIT_OK, failureStatus } from './exit-status.ts';
import { negotiateAndAccept, preparePeer, remaining, type PeerSetup } from './peer-setup.ts';

/** An echo differs from what we sent. */
class EchoMismatchError extends P2pError {
  readonly code = 'ECHO_MISMATCH' as const;
  /** 0-based index of the first message whose echo differs. */
  readonly index: number;
  constructor(index: number, sentLength: number, receivedLength: number) {
    super(`echo of message ${index} differs from what was sent (${sentLength} bytes sent, ${receivedLength} received)`);
    this.index = index;
  }
  override fields(): Record<string, unknown> {
    return { index: this.index };
  }
}

/** Runs the command; resolves to the exit status (0 success, 1 failure). */
export async function runConnect(options: ConnectOptions, output: Output): Promise<number> {
  const target = options.host.includes(':') ? `[${options.host}]:${options.port}` : `${options.host}:${options.port}`;
  const report = new ConnectionReport(target);
  let setup: PeerSetup | undefined;
  let connection: Connection<Uint8Array, NodeMetadata> | undefined;
  try {
    setup = await preparePeer(options, output, CONNECT_USAGE);
    const started = Date.now();
    const peer = await connect(options.host, options.port, {
      identity: setup.identity,
      announcedVersion: setup.announced,
      metadata: setup.metadata,
      proofOfWorkDifficulty: options.difficulty,
      timeout: options.timeout,
    });
    report.info = peer.info;
    output.event('authenticated', { remote: target, peer_id: peer.info.peerId }, `authenticated ${peer.info.peerId} at ${target}`);

    connection = await negotiateAndAccept(peer, setup.local, report, { chunkSize: options.chunkSize, timeout: remaining(options.timeout, started) });
    await exchange(connection, options, report);
    // The queue must drain within --timeout, or the close gives up with TIMEOUT.
    await connection.close({ wait: true, reason: 'done', signal: AbortSignal.timeout(options.timeout) });
  } catch (error) {
    report.fail(error);
  } finally {
    if (connection) {
      await connection.close();
      report.stat = connection.stat();
    }
    report.finish();
  }
  const ok = report.ok;
  output.summary('connect', { local_peer_id: setup?.identity.peerId ?? null, ...report.toJson() }, [`connect ${target}`, ...report.describe()].join('\n'));
  return ok ? EXIT_OK : failureStatus(report.error);
}

/** Writes and (with `--expect-echo`) reads concurrently, so neither side's queue can stall the other. */
async function exchange(connection: Connection<Uint8Array, NodeMetadata>, options: ConnectOptions, report: ConnectionReport): Promise<void> {
  const sent: Buffer[] = [];
  const writer = (async () => {
    for (let i = 0; i < options.send; i++) {
      const payload = randomBytes(options.size);
      if (options.expectEcho) sent.push(payload);
      // Each message must be taken by the peer's side within --timeout (TIMEOUT otherwise).
      await connection.write(payload, { signal: AbortSignal.timeout(options.timeout) });
      report.messagesSent++;
      report.bytesSent += payload.length;
    }
  })();
  const reader = (async () => {
    if (!options.expectEcho) return;
    report.echoesMatched = options.send === 0;
    for (let i = 0; i < options.send; i++) {
      // Each echo must come within --timeout of the previous one (TIMEOUT otherwise).
      const { message } = await connection.read({ signal: AbortSignal.timeout(options.timeout) });
      report.messagesReceived++;
      report.bytesReceived += message.length;
      const expected = sent[i];
      if (expected === undefined || !expected.equals(message)) {
        report.echoesMatched = false;
        throw new EchoMismatchError(i, expected?.length ?? 0, message.length);
      }
    }
    report.echoesMatched = true;
  })();
  try {
    await Promise.all([writer, reader]);
  } catch (error) {
    // The first failure is the story; echoes not all read mean they did not (all) match.
    if (options.expectEcho && report.echoesMatched !== true) report.echoesMatched = false;
    throw error;
  }
}
