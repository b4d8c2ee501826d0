/**
 * A shard: a worker thread that owns sockets (architecture.md §2). It runs the handshake, the chunk
 * crypto and framing with the same engine as the inline mode, and exchanges message bodies and
 * outgoing chunk layouts with main through its two rings. Main keeps the policy: a shard never
 * accepts or nacks on its own.
 *
 * Main drives it through `ShardControl` (comlink, architecture.md §4); each connection's
 * lifecycle is a ShardConnection.
 */
import type { Socket } from 'node:net';
import { adoptedSocket } from './adopted-socket.ts';
import { parentPort, workerData } from 'node:worker_threads';
import * as Comlink from 'comlink/dist/esm/comlink.mjs';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { makePowTarget } from '../shared/crypto/pow.ts';
import { identityFromKeys } from '../shared/identity.ts';
import { ConsumerPump } from '../shared/ring/pump.ts';
import { RingConsumer } from '../shared/ring/record-ring.ts';
import { bodyPool } from '../shared/session/body-pool.ts';
import { PendingMessageBudget } from '../shared/session/pending-message-budget.ts';
import { socketHost } from '../shared/session/transport.ts';
import { forgetPeerName } from '../shared/session/peer-name-cache.ts';
import { type MainSignal, type Opening, type ShardConfig, type ShardControl, type ShardCounts, type ShardEvent } from '../shared/shard/protocol.ts';
import { BROADCAST_ID, RECORD, SHARD_WIDE_ID, decodeClose, decodeCredit, decodeTargets, transferredBytes } from '../shared/shard/records.ts';
import { TransferOrder } from '../shared/shard/transfer-order.ts';
import { ShardOutlet } from '../shared/shard/shard-outlet.ts';
import { WrittenReports } from '../shared/shard/written-reports.ts';
import type { MetadataConfig } from '../shared/wire/metadata.ts';
import { ShardConnection } from './shard-connection.ts';
import type { ShardContext } from './shard-context.ts';
import { IoScheduler } from '../shared/session/io-scheduler.ts';

const port = parentPort;
if (!port) throw new Error('shard.ts runs in a worker thread');
const config = workerData as ShardConfig;
const localMetadata = Buffer.from(config.localMetadata);
let advertisedPort = config.advertisedPort;

/** Metadata stays bytes here: the user's codec runs on main (architecture.md §6). */
const rawMetadata: MetadataConfig<Buffer> = {
  codec: { encode: () => localMetadata, decode: (bytes) => Buffer.from(bytes) },
  value: localMetadata,
  privateNode: () => false,
};

function post(event: ShardEvent, transfer?: ArrayBuffer[]): void {
  port!.postMessage(event, transfer);
}

/** The ring to main, small bodies batched in front of it. */
const outlet = new ShardOutlet(config.outbound, (bell, connections, bodies) =>
  post(connections.length === 0 ? { t: 'bell' } : { t: 'bodies', connections, bodies, bell }, bodies),
);
const outbox = outlet.outbox;
const connections = new Map<number, ShardConnection>();

/**
 * Connections with a WRITTEN report or stats to refresh, flushed once per event-loop turn. An
 * array and a flag on the connection, not a Set: `schedule` runs for every message received and
 * written. A connection forgotten meanwhile stays until the flush, which skips it (closed).
 */
const dirty: ShardConnection[] = [];
/** The turn's reports of all those connections, sent as one record (written-reports.ts). */
const reports = new WrittenReports();
function flushReports(): void {
  for (const connection of dirty) {
    connection.reportScheduled = false;
    connection.report(reports);
  }
  dirty.length = 0;
  reports.flush(context.send, outbox.maxPayload);
}

const context: ShardContext = {
  identity: identityFromKeys(Buffer.from(config.secretKey), Buffer.from(config.proofOfWorkStamp)),
  powTarget: makePowTarget(config.proofOfWorkDifficulty),
  proofOfWorkDifficulty: config.proofOfWorkDifficulty,
  announcedVersion: config.announcedVersion,
  metadata: rawMetadata,
  advertisedPort: () => advertisedPort,
  send: outlet.send,
  batchBody: outlet.batchBody,
  transfer: (id, body) => outbox.transfer(id, body),
  maxPayload: () => outbox.maxPayload,
  stats: new Float64Array(config.stats),
  pendingBudget: config.pendingMessages && PendingMessageBudget.attach(config.pendingMessages.budget, config.index + 1),
  messageTimeout: config.pendingMessages?.messageTimeout,
  io: config.bandwidth && new IoScheduler(config.bandwidth, config.index),
  dropped: (id, error) => post({ t: 'dropped', connection: id, error }),
  forget: (connection) => {
    connections.delete(connection.id);
    order.forget(connection.id);
  },
  schedule: (connection) => {
    if (connection.reportScheduled) return;
    connection.reportScheduled = true;
    if (dirty.length === 0) setImmediate(flushReports);
    dirty.push(connection);
  },
};

function open(opening: Opening, incoming: boolean): ShardConnection {
  const connection = new ShardConnection(context, opening.id, opening.slot, incoming, opening.timeout);
  connections.set(opening.id, connection);
  return connection;
}

const notFound = (id: number) => ({ ok: false as const, error: { code: 'CONNECTION_CLOSED', message: `no connection ${id} on this shard` } });

/** Closes every connection; resolves when all are forgotten. */
async function closeAll(wait: boolean): Promise<void> {
  const all = [...connections.values()];
  for (const connection of all) {
    if (connection.state === 'established') connection.close(wait);
    else void connection.abandon();
  }
  await Promise.all(all.map((connection) => connection.closed));
}

const control: ShardControl = {
  adopt: (opening) => {
    const socket = adoptedSocket(opening.socket as Socket);
    const host = socketHost(socket);
    const port = socket.remotePort ?? 0;
    forgetPeerName(socket);
    return open(opening, true).adopt(socket, host, port);
  },
  dial: (opening) => open(opening, false).dial(opening.host, opening.port),
  accept: async (id, limits) => connections.get(id)?.accept(limits) ?? notFound(id),
  nack: async (id, motive, points) => connections.get(id)?.nack(motive, points) ?? notFound(id),
  abandon: async (id) => connections.get(id)?.abandon(),
  waitingFor: (id) => connections.get(id)?.waitingFor() ?? 'the connection is gone from its shard',
  advertise: (value) => {
    advertisedPort ??= value;
  },
  stats: () => {
    const counts: Record<string, number> = {};
    for (const connection of connections.values()) counts[connection.state] = (counts[connection.state] ?? 0) + 1;
    return counts satisfies ShardCounts;
  },
  cpuUsage: () => process.threadCpuUsage(),
  drain: () => closeAll(true),
  shutdown: () => closeAll(false),
};

/** The connections the broadcast being received goes to (records.ts BROADCAST_*). */
let broadcastTargets: number[] = [];

/**
 * A broadcast reaches the shard once; each target connection seals its own copy from the
 * shard's one plaintext copy, in order with its other writes (`write`, `shared`).
 */
function fanOut(kind: number, payload: Uint8Array): void {
  if (kind === RECORD.BROADCAST_TO) {
    try {
      decodeTargets(payload, broadcastTargets);
    } catch {
      broadcastTargets = []; // a corrupt list reaches nobody rather than the wrong connections
    }
    return;
  }
  const last = kind === RECORD.BROADCAST_END;
  // One copy out of the ring per part, which every target seals from into a pooled copy of its
  // own when it writes: no copy per connection (a copy out of a SharedArrayBuffer is V8's
  // relaxed_memmove, not memcpy, which would be slow to repeat once per connection anyway).
  // A lone target copies out of the ring as a plain write does.
  const shared = broadcastTargets.length > 1;
  const part = shared ? Buffer.from(payload) : payload;
  for (const id of broadcastTargets) {
    const connection = connections.get(id);
    if (!connection) continue;
    // Its records wait for a transferred layout written before: this part waits with them (a copy).
    if (order.waiting(id)) {
      order.visit(id, last ? RECORD.WRITE_END : RECORD.WRITE_PART, part);
      continue;
    }
    try {
      connection.write(part, last, shared ? 'shared' : 'ring');
    } catch {
      void connection.abandon();
    }
  }
  if (last) broadcastTargets = [];
}

/** Outgoing layouts that crossed as transferred buffers, kept in order with the ring records. */
const order = new TransferOrder(RECORD.WRITE_TRANSFERRED, (id, kind, payload, layout) => {
  const connection = connections.get(id);
  if (!connection) return; // ended: late records are dropped (main learns of the end in order)
  try {
    switch (kind) {
      case RECORD.WRITE_PART:
      case RECORD.WRITE_END:
        connection.write(payload, kind === RECORD.WRITE_END);
        break;
      case RECORD.WRITE_TRANSFERRED:
        if (!layout) throw new RangeError('WRITE_TRANSFERRED without its layout');
        connection.write(transferredBytes(layout, payload), true, 'transferred');
        break;
      case RECORD.CREDIT:
        connection.credit(decodeCredit(payload));
        break;
      case RECORD.CLOSE:
        {
          const { wait, reset } = decodeClose(payload);
          connection.close(wait, reset);
        }
        break;
    }
  } catch {
    // A record this connection cannot take (a malformed layout) ends it, not the shard.
    void connection.abandon();
  }
});

const inbound = new ConsumerPump(new RingConsumer(config.inbound), {
  visit: (id, kind, payload) => {
    if (id === BROADCAST_ID) fanOut(kind, payload);
    else order.visit(id, kind, payload);
  },
  onSpace: () => post({ t: 'space' }),
});

// Received counts are refreshed for every live connection a few times a second, so main's
// `stat()` stays close without a message per read.
setInterval(() => {
  for (const connection of connections.values()) connection.countStats();
}, 250).unref();

// Doorbells are data-plane signals, not comlink calls: comlink ignores messages without its `type`.
port.on('message', (message: MainSignal) => {
  if (message.t === 'bell') inbound.wake();
  else if (message.t === 'space') outbox.onSpace();
  else if (message.t === 'layouts') {
    for (let i = 0; i < message.connections.length; i++) {
      const id = message.connections[i]!;
      // Under SHARD_WIDE_ID: memory of a body main lent out and got back, for the framer to reuse.
      if (id === SHARD_WIDE_ID) bodyPool.give(Buffer.from(message.layouts[i]!));
      else if (connections.has(id)) order.arrived(id, message.layouts[i]!);
    }
    if (message.bell) inbound.wake();
  }
});

Comlink.expose(control, nodeEndpoint(port));
