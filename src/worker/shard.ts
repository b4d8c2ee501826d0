/**
 * A shard: a worker thread that owns sockets (architecture.md §2). It runs the handshake, the chunk
 * crypto and framing with the same engine as the inline mode, and exchanges message bodies and
 * outgoing chunk layouts with main through its two rings. Main keeps the policy: a shard never
 * accepts or nacks on its own.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { ConnectionClosedError, P2pError, type ErrorRecord } from '../shared/errors.ts';
import { identityFromKeys } from '../shared/identity.ts';
import { ConsumerPump } from '../shared/ring/pump.ts';
import { RingConsumer } from '../shared/ring/record-ring.ts';
import { acceptSession, nackSession, type HandshakeState } from '../shared/session/accept-session.ts';
import { MAX_CHUNK_CONTENT } from '../shared/session/chunk-layout.ts';
import { EncodedMessage } from '../shared/session/encoded-message.ts';
import type { EstablishedSession } from '../shared/session/established-session.ts';
import { runHandshake } from '../shared/session/handshake.ts';
import { HandshakeProgress, WAITING_FOR_ACK } from '../shared/session/handshake-progress.ts';
import { HANDSHAKE_INPUT_LIMIT, SessionTransport, socketHost } from '../shared/session/transport.ts';
import { makePowTarget } from '../shared/crypto/pow.ts';
import { Outbox } from '../shared/shard/outbox.ts';
import { RECORD, STAT_SLOTS, type MainToShard, type ShardConfig, type ShardToMain } from '../shared/shard/protocol.ts';
import type { MetadataConfig } from '../shared/wire/metadata.ts';
import { withDeadline } from '../shared/session/deadline.ts';
import { PendingMessageBudget, type PendingMessagesConfig } from '../shared/session/pending-message-budget.ts';

const port = parentPort;
if (!port) throw new Error('shard.ts runs in a worker thread');
const config = workerData as ShardConfig;
const identity = identityFromKeys(Buffer.from(config.secretKey), Buffer.from(config.proofOfWorkStamp));
const powTarget = makePowTarget(config.proofOfWorkDifficulty);
const localMetadata = Buffer.from(config.localMetadata);
let advertisedPort = config.advertisedPort;
const stats = new Float64Array(config.stats);
/** The pool-wide pending-message budget (pending-message-budget.ts), shared with main and the other shards. */
const pendingMessages = (workerData as { pendingMessages?: PendingMessagesConfig }).pendingMessages;
const pendingBudget = pendingMessages && PendingMessageBudget.attach(pendingMessages.budget);
/** The shard's own queue in front of main: small, so a full ring pauses the socket early. */
const SHARD_INCOMING_QUEUE = 256 * 1024;
/** Per-message ring overhead counted against the peer's credit (matches the session's entry cost). */
const CREDIT_ENTRY_COST = 120;

/** Metadata stays bytes here: the user's codec runs on main (architecture.md §6). */
const rawMetadata: MetadataConfig<Buffer> = {
  codec: { encode: () => localMetadata, decode: (bytes) => Buffer.from(bytes) },
  value: localMetadata,
  privateNode: () => false,
};

function post(message: ShardToMain): void {
  port!.postMessage(message);
}

const outbox = new Outbox(config.outbound, () => post({ t: 'bell' }));

interface Live {
  readonly id: number;
  readonly session: EstablishedSession;
  readonly transport: SessionTransport;
  /** Bytes delivered to main and not yet read by the application. */
  unacked: number;
  readonly creditLimit: number;
  /** Written since the last WRITTEN report. */
  writtenMessages: number;
  writtenBytes: number;
  ended: boolean;
}

const handshakes = new Map<number, { state: HandshakeState; p2pVersion: number }>();
const live = new Map<number, Live>();
const pendingReports = new Set<Live>();
let reportScheduled = false;

// ------------------------------------------------------------------ handshakes

async function handshake(id: number, socket: Socket, incoming: boolean, host: string, remotePort: number, timeout: number): Promise<void> {
  const transport = new SessionTransport(socket, HANDSHAKE_INPUT_LIMIT);
  const progress = new HandshakeProgress(transport);
  try {
    const run = runHandshake(transport, {
      identity,
      proofOfWorkTarget: powTarget,
      proofOfWorkDifficulty: config.proofOfWorkDifficulty,
      progress,
      incoming,
      remoteHost: host,
      remotePort,
      advertisedPort,
      announcedVersion: config.announcedVersion,
      metadata: rawMetadata,
    });
    const result = await withDeadline(run, { timeout, waitingFor: () => progress.waitingFor() }, (error) => void transport.close(error));
    handshakes.set(id, { state: { transport, sealer: result.sealer, opener: result.opener }, p2pVersion: result.info.announcedVersion.p2pVersion });
    countStats(id, transport);
    const { info } = result;
    post({
      t: 'authenticated',
      id,
      info: {
        peerId: info.peerId,
        publicKey: info.publicKey,
        announcedVersion: info.announcedVersion,
        incoming: info.incoming,
        idPoint: info.idPoint,
        remoteSocketPort: info.remoteSocketPort,
        remoteMetadata: info.remoteMetadata,
      },
    });
  } catch (error) {
    void transport.close(error instanceof P2pError ? error : undefined);
    post({ t: 'failed', id, error: toRecord(error) });
  }
}

function dial(id: number, host: string, remotePort: number, timeout: number): void {
  const started = Date.now();
  const socket = netConnect({ host, port: remotePort });
  const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), timeout);
  socket.once('error', (error) => {
    clearTimeout(timer);
    post({ t: 'failed', id, error: new ConnectionClosedError(`cannot connect to ${host}:${remotePort}: ${error.message}`).toRecord() });
  });
  socket.once('connect', () => {
    clearTimeout(timer);
    socket.removeAllListeners('error');
    void handshake(id, socket, false, host, remotePort, Math.max(1, timeout - (Date.now() - started)));
  });
}

async function accept(id: number, limits: { incomingQueueSize: number; maxMessageSize: number }, timeout: number | undefined): Promise<void> {
  const pending = handshakes.get(id);
  if (!pending) return post({ t: 'failed', id, error: new ConnectionClosedError('unknown connection').toRecord() });
  handshakes.delete(id);
  try {
    const session = await acceptSession(
      pending.state,
      { incomingQueueSize: SHARD_INCOMING_QUEUE, outgoingQueueSize: Number.POSITIVE_INFINITY, maxMessageSize: limits.maxMessageSize, detachSmallMessages: false, pendingBudget, messageTimeout: pendingMessages?.messageTimeout },
      (operation) => withDeadline(operation, { timeout, waitingFor: () => WAITING_FOR_ACK }, (error) => void pending.state.transport.close(error)),
    );
    const conn: Live = {
      id,
      session,
      transport: pending.state.transport,
      unacked: 0,
      creditLimit: limits.incomingQueueSize,
      writtenMessages: 0,
      writtenBytes: 0,
      ended: false,
    };
    live.set(id, conn);
    post({ t: 'established', id });
    session.onReadable = () => drain(conn);
    session.sink = (message) => {
      if (conn.ended || conn.unacked >= conn.creditLimit) return false;
      sendBody(conn.id, message.body);
      conn.unacked += message.size + CREDIT_ENTRY_COST;
      markStats(conn);
      return true;
    };
    void session.ended.then(() => drain(conn));
    drain(conn);
  } catch (error) {
    post({ t: 'failed', id, error: toRecord(error) });
  }
}

// ------------------------------------------------------------------ data plane

/** Moves received messages to main while the application's credit lasts. */
function drain(conn: Live): void {
  if (conn.ended) return;
  const { session } = conn;
  let moved = 0;
  while (conn.unacked < conn.creditLimit) {
    let message;
    try {
      message = session.readNow();
    } catch (error) {
      end(conn, error);
      return;
    }
    if (!message) break;
    sendBody(conn.id, message.body);
    conn.unacked += message.size + CREDIT_ENTRY_COST;
    moved++;
  }
  if (moved > 0) markStats(conn);
}

/** Connections whose received totals changed this turn; the table is refreshed once per turn. */
const statsDirty = new Set<Live>();

function markStats(conn: Live): void {
  if (statsDirty.size === 0) setImmediate(flushStats);
  statsDirty.add(conn);
}

function flushStats(): void {
  for (const conn of statsDirty) countStats(conn.id, conn.transport);
  statsDirty.clear();
}

/** A body in one record, or cut in parts when larger than a record carries. */
function sendBody(id: number, body: Buffer): void {
  const max = outbox.maxPayload;
  let at = 0;
  while (body.length - at > max) {
    outbox.send(id, RECORD.MESSAGE_PART, body.subarray(at, at + max));
    at += max;
  }
  outbox.send(id, RECORD.MESSAGE_END, body.subarray(at));
}

function end(conn: Live, error: unknown): void {
  if (conn.ended) return;
  conn.ended = true;
  report(conn);
  live.delete(conn.id);
  const record = error instanceof P2pError && error.code !== 'CONNECTION_CLOSED' ? JSON.stringify(error.toRecord()) : '';
  outbox.send(conn.id, RECORD.ENDED, Buffer.from(record));
  void conn.session.close(false);
}

/** A part of an outgoing layout: whole chunks, sealed here in place and written. */
function write(conn: Live, payload: Uint8Array, last: boolean): void {
  const layout = Buffer.from(payload); // out of the ring before the slot is reused
  const message = new EncodedMessage(layout, MAX_CHUNK_CONTENT, layout.length);
  conn.session.writeSync(message).then(
    () => {
      conn.writtenBytes += layout.length;
      if (last) conn.writtenMessages++;
      countStats(conn.id, conn.transport);
      pendingReports.add(conn);
      scheduleReports();
    },
    () => undefined, // the stream's end is reported by `end`
  );
}

function scheduleReports(): void {
  if (reportScheduled) return;
  reportScheduled = true;
  setImmediate(() => {
    reportScheduled = false;
    for (const conn of pendingReports) report(conn);
    pendingReports.clear();
  });
}

function report(conn: Live): void {
  if (conn.writtenBytes === 0 && conn.writtenMessages === 0) return;
  const payload = Buffer.allocUnsafe(8);
  payload.writeUInt32LE(conn.writtenMessages, 0);
  payload.writeUInt32LE(conn.writtenBytes, 4);
  conn.writtenMessages = 0;
  conn.writtenBytes = 0;
  outbox.send(conn.id, RECORD.WRITTEN, payload);
}

function countStats(id: number, transport: SessionTransport): void {
  const slot = (id % STAT_SLOTS) * 2;
  stats[slot] = transport.stats.totalSent;
  stats[slot + 1] = transport.stats.totalRecv;
}

const inbound = new ConsumerPump(new RingConsumer(config.inbound), {
  visit: (id, kind, payload) => {
    const conn = live.get(id);
    if (!conn) return; // ended: late records are dropped (main learns of the end in order)
    switch (kind) {
      case RECORD.WRITE_PART:
      case RECORD.WRITE_END:
        write(conn, payload, kind === RECORD.WRITE_END);
        break;
      case RECORD.CREDIT:
        conn.unacked -= new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0, true);
        drain(conn);
        break;
      case RECORD.CLOSE: {
        const wait = payload[0] === 1;
        conn.session.onReadable = undefined;
        void conn.session.close(wait).then(() => end(conn, undefined));
        break;
      }
    }
  },
  onSpace: () => post({ t: 'space' }),
});

// Received counts are refreshed for every live connection a few times a second, so main's
// `stat()` stays close without a message per read.
setInterval(() => {
  for (const conn of live.values()) countStats(conn.id, conn.transport);
}, 250).unref();

port.on('message', (message: MainToShard) => {
  switch (message.t) {
    case 'bell':
      inbound.wake();
      break;
    case 'space':
      outbox.onSpace();
      break;
    case 'adopt': {
      const socket = message.socket as Socket;
      void handshake(message.id, socket, true, socketHost(socket), socket.remotePort ?? 0, message.timeout);
      break;
    }
    case 'dial':
      dial(message.id, message.host, message.port, message.timeout);
      break;
    case 'accept':
      void accept(message.id, message.limits, message.timeout);
      break;
    case 'nack': {
      const pending = handshakes.get(message.id);
      handshakes.delete(message.id);
      if (pending) {
        void nackSession(pending.state, pending.p2pVersion, message.motive, message.points).finally(() => post({ t: 'nacked', id: message.id }));
      } else post({ t: 'nacked', id: message.id });
      break;
    }
    case 'abandon': {
      const pending = handshakes.get(message.id);
      handshakes.delete(message.id);
      void pending?.state.transport.close();
      const conn = live.get(message.id);
      if (conn) end(conn, undefined);
      break;
    }
    case 'advertise':
      advertisedPort ??= message.port;
      break;
  }
});

function toRecord(error: unknown): ErrorRecord {
  if (error instanceof P2pError) return error.toRecord();
  return { code: 'INTERNAL_ERROR', message: String(error) };
}
