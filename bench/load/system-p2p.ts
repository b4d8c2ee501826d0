/**
 * This library. Server: a `Pool` (src/main/pool.ts) with `workers: 0` (inline: every connection
 * on the main thread) or `workers: N` (sharded over worker threads); the echo consumer reads
 * with `read()` and drains what is already queued with `readNow()`, and echoes with `writeNow` (or
 * `write` when the queue is full); the sink borrows each body (`readLent`).
 *
 * Client: one identity per connection, as distinct peers have, so the server runs its default
 * policy unchanged (with one identity it would nack every second connection ALREADY_CONNECTED
 * unless `allowDuplicatePeers`); each connection is the low-level `connect()` → `accept()` that
 * `Pool.connect` runs too, without a client-side pool's bookkeeping. Identities are made before
 * the clock starts, with proof of work at the run's difficulty.
 *
 * For W2 ingest the client runs the handshake with the library's own pieces (runHandshake,
 * sendAck, readAck on a SessionTransport) and keeps the session's ChunkSealer, then lays out and
 * seals all its messages with it up front: the wire bytes are then written at once, so the client
 * costs almost nothing while the server decrypts.
 */
import { randomBytes } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  bytesCodec,
  connect,
  emptyMetadataConfig,
  identityFromKeys,
  Pool,
  SANDBOXED_MAVRYK,
  type ConnectOptions,
  type Connection,
  type Identity,
  type LentMessage,
  type Received,
} from '../../src/main/index.ts';
import { announcedVersion, generateKeyPair, makePowTarget, nodeLocalVersions } from '../../src/wire/index.ts';
import { SHARD_RESOURCE_LIMITS, SHARD_SCRIPT } from '../../src/main/shard-engine.ts';
import { searchProofOfWork } from '../../src/shared/crypto/pow.ts';
import { MAX_CHUNK_CONTENT } from '../../src/shared/session/chunk-layout.ts';
import { EncodedMessage, encodeFramedMessage } from '../../src/shared/session/encoded-message.ts';
import { readAck, runHandshake, sendAck } from '../../src/shared/session/handshake.ts';
import { HANDSHAKE_INPUT_LIMIT, SessionTransport } from '../../src/shared/session/transport.ts';
import {
  countFailure,
  newCounters,
  type ClientConn,
  type ClientSide,
  type PresealedConn,
  type Prepared,
  type RunningServer,
  type ServerCounters,
  type SystemAdapter,
} from './adapter.ts';
import { errorText, HOST, type ServerMode, type SystemId, type WorkloadParams } from './common.ts';

type Conn = Connection<Uint8Array, unknown>;

/** Identities kept for a run at most; connections beyond reuse them in turn. */
const MAX_IDENTITIES = 8192;
const TIMEOUT_MS = 30_000;

/** P2P_BENCH_SHARD_YOUNG_MB: the server's shards run with this `maxYoungGenerationSizeMb` (V8's default when unset). */
const SHARD_YOUNG_MB = Number(process.env.P2P_BENCH_SHARD_YOUNG_MB) || undefined;

const VERSION = announcedVersion(nodeLocalVersions(SANDBOXED_MAVRYK));

/** A fresh identity whose stamp meets `difficulty` (any stamp passes at 0). */
export function benchIdentity(difficulty: number): Identity {
  const { secretKey, publicKey } = generateKeyPair();
  if (difficulty <= 0) return identityFromKeys(secretKey, randomBytes(24));
  const { stamp } = searchProofOfWork(publicKey, makePowTarget(difficulty), { maxAttempts: 1 << 24 });
  if (!stamp) throw new Error(`no proof-of-work stamp at difficulty ${difficulty}`);
  return identityFromKeys(secretKey, stamp);
}

function isClosed(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'CONNECTION_CLOSED' || code === 'REJECTED_SOCKET_CONNECTION';
}

/** The server's consumer: `read()`, then whatever `readNow()` has queued; echo writes back. */
export async function consume(conn: Conn, mode: ServerMode, counters: ServerCounters): Promise<void> {
  if (mode === 'sink') return sink(conn, counters);
  try {
    for (;;) {
      let received: Received<Uint8Array> | undefined = await conn.read();
      while (received !== undefined) {
        const message = received.message;
        counters.messages++;
        counters.bytes += message.length;
        if (mode === 'echo' && !conn.writeNow(message)) await conn.write(message);
        received = conn.readNow();
      }
      counters.lastAt = performance.now();
    }
  } catch (error) {
    if (!isClosed(error)) countFailure(counters, `server read: ${errorText(error)}`);
  }
}

/**
 * The sink's consumer counts and drops, as the stream systems' sinks count frames without keeping
 * them: it borrows each body (`readLent`, then `readLentNow` for what is queued) and gives it back
 * at the next lent read, so the library assembles later large bodies into the same memory, and a
 * small body's charge moves straight to the next one.
 */
async function sink(conn: Conn, counters: ServerCounters): Promise<void> {
  try {
    for (;;) {
      let lent: LentMessage | undefined = await conn.readLent();
      while (lent !== undefined) {
        counters.messages++;
        counters.bytes += lent.body.length;
        lent = conn.readLentNow();
      }
      counters.lastAt = performance.now();
    }
  } catch (error) {
    if (!isClosed(error)) countFailure(counters, `server read: ${errorText(error)}`);
  }
}

/** W6 broadcast: after the first full round, the ring bytes of one round in this many are read from `pool.stats()`. */
const RING_BYTES_SAMPLE_EVERY = 64;

/** W6: outgoing bound per connection, so 1,000 connections hold at most ~64 MiB queued. */
const PUSH_QUEUE_SIZE = 64 * 1024;

/**
 * W6: sends one message to every connection, round after round, until `stopped()`: by
 * `pool.broadcast` or by `writeNow` on each connection. A round that met a full queue waits 1 ms.
 * Counts queued messages; the client counts what is delivered.
 */
async function push(pool: Pool<Uint8Array, undefined>, conns: Set<Conn>, mode: 'broadcast' | 'unicast', size: number, counters: ServerCounters, stopped: () => boolean): Promise<void> {
  const message = randomBytes(size);
  const full = { count: 0, ringBytes: 0 };
  let round = 0;
  try {
    while (!stopped()) {
      let dropped = 0;
      if (mode === 'broadcast') {
        // `pool.stats()` walks every connection's `stat()`: twice per round it was ~40 % of main's
        // time in W6 broadcast (perf), a cost unicast rounds do not pay. A full broadcast takes the
        // same ring bytes every round (same layout, same targets), so a sample of rounds measures
        // them: every round until one that reached all was seen, then one round in 64 (most
        // rounds meet a full queue somewhere and do not count).
        const sampled = full.count === 0 || round++ % RING_BYTES_SAMPLE_EVERY === 0;
        const before = sampled ? pool.stats().broadcasts.ringBytes : 0;
        const result = pool.broadcast(message);
        counters.messages += result.queued;
        dropped = result.dropped;
        if (dropped === 0 && sampled) {
          // Only broadcasts that reached every connection: the cost of "one message to all".
          full.count++;
          full.ringBytes += pool.stats().broadcasts.ringBytes - before;
          counters.gauges = { ringBytesPerBroadcast: full.ringBytes / full.count };
        }
      } else {
        for (const conn of conns) {
          if (conn.closed) continue;
          if (conn.writeNow(message)) counters.messages++;
          else dropped++;
        }
      }
      counters.lastAt = performance.now();
      await new Promise((resolve) => (dropped > 0 ? setTimeout(resolve, 1) : setImmediate(resolve)));
    }
  } catch (error) {
    countFailure(counters, `server push: ${errorText(error)}`);
  }
}

function serve(conn: Conn, mode: ServerMode, counters: ServerCounters, conns: Set<Conn>): void {
  counters.accepted++;
  counters.open++;
  conns.add(conn);
  void conn.ended.then(() => {
    counters.open--;
    conns.delete(conn);
  });
  if (mode === 'sink' || mode === 'echo') void consume(conn, mode, counters);
}

class P2pClientConn implements ClientConn {
  private readonly conn: Conn;
  private blocked: Promise<void> | undefined;

  constructor(conn: Conn, onMessage: ((body: Buffer) => void) | undefined) {
    this.conn = conn;
    if (onMessage) void this.readLoop(onMessage);
  }

  private async readLoop(onMessage: (body: Buffer) => void): Promise<void> {
    try {
      for (;;) {
        let received: Received<Uint8Array> | undefined = await this.conn.read();
        while (received !== undefined) {
          onMessage(received.message as Buffer);
          received = this.conn.readNow();
        }
      }
    } catch {
      // closed
    }
  }

  send(message: Prepared): boolean {
    const body = message as unknown as Buffer;
    if (this.blocked === undefined && this.conn.writeNow(body)) return true;
    const next = (this.blocked ?? Promise.resolve()).then(() => this.conn.write(body));
    this.blocked = next;
    next.then(
      () => {
        if (this.blocked === next) this.blocked = undefined;
      },
      () => {
        if (this.blocked === next) this.blocked = undefined;
      },
    );
    return false;
  }

  drain(): Promise<void> {
    return this.blocked ? this.blocked.catch(() => undefined) : Promise.resolve();
  }

  close(): Promise<void> {
    return this.conn.close().then(
      () => undefined,
      () => undefined,
    );
  }

  destroy(): void {
    void this.conn.close().catch(() => undefined);
  }
}

export function p2pAdapter(system: SystemId): SystemAdapter {
  const sharded = system === 'p2p-sharded';
  return {
    id: system,
    async startServer(params: WorkloadParams, mode: ServerMode): Promise<RunningServer> {
      const counters = newCounters();
      const identity = benchIdentity(params.powDifficulty);
      const conns = new Set<Conn>();
      // W4 sharded: shards that also answer memory probes, since main's gc() does not reach them.
      const probe = sharded && mode === 'idle' ? await import('../probes/memory-probe.ts') : undefined;
      const pool = new Pool({
        identity,
        chainName: SANDBOXED_MAVRYK,
        metadata: emptyMetadataConfig,
        proofOfWorkDifficulty: params.powDifficulty,
        workers: sharded ? params.workers : 0,
        maxConnections: Math.max(10_000, params.connections + 100),
        maxIncomingHandshakes: 1000,
        maxIncomingHandshakesPerAddress: 1000, // the load generator dials from one address
        handshakeTimeout: TIMEOUT_MS,
        // One failed handshake would otherwise greylist 127.0.0.1, and every later one with it.
        greylistMs: 1,
        ...(mode === 'broadcast' || mode === 'unicast' ? { accept: { outgoingMessageQueueSize: PUSH_QUEUE_SIZE } } : {}),
        ...(probe ? { [SHARD_SCRIPT]: probe.MEMORY_PROBE_SHARD } : {}),
        ...(SHARD_YOUNG_MB ? { [SHARD_RESOURCE_LIMITS]: { maxYoungGenerationSizeMb: SHARD_YOUNG_MB } } : {}),
      });
      let closing = false;
      let pushing = false;
      pool.on('connection', (conn) => {
        serve(conn, mode, counters, conns);
        // W6: the pushing starts once every connection was accepted (before the window's warm-up).
        if ((mode === 'broadcast' || mode === 'unicast') && !pushing && counters.accepted >= params.connections) {
          pushing = true;
          void push(pool, conns, mode, params.messageSize, counters, () => closing);
        }
      });
      pool.on('error', (error) => countFailure(counters, `pool: ${errorText(error)}`));
      const { port } = await pool.listen({ host: HOST, port: 0 });
      if (probe) await pool.ready(); // every shard listens for probes before the baseline
      const notes = [sharded ? `Pool workers: ${params.workers}` : 'Pool workers: 0'];
      return {
        port,
        counters,
        notes,
        ...(sharded ? { shardCpu: () => pool.shardCpuUsage() } : {}),
        ...(probe ? { shardLiveBytes: async () => (await probe.shardMemory(params.workers)).map((m) => m.heapUsed + m.arrayBuffers) } : {}),
        close: async () => {
          closing = true;
          await Promise.race([pool.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5000))]);
        },
      };
    },
    async client(params: WorkloadParams): Promise<ClientSide> {
      const identities: Identity[] = [];
      const difficulty = params.powDifficulty;
      const identityFor = (index: number): Identity => {
        if (identities.length === 0) identities.push(benchIdentity(difficulty));
        return identities[index % identities.length]!;
      };
      const common = (): Omit<ConnectOptions<undefined>, 'identity'> => ({
        announcedVersion: VERSION,
        metadata: emptyMetadataConfig,
        proofOfWorkDifficulty: difficulty,
        timeout: TIMEOUT_MS,
      });
      return {
        notes: [],
        async prepare(count) {
          const wanted = Math.min(Math.max(1, count), MAX_IDENTITIES);
          while (identities.length < wanted) identities.push(benchIdentity(difficulty));
        },
        prepareMessage: (body) => body as unknown as Prepared,
        async connect(port, index, onMessage) {
          const auth = await connect(HOST, port, { ...common(), identity: identityFor(index) });
          const conn = await auth.accept({ codec: bytesCodec, timeout: TIMEOUT_MS });
          return new P2pClientConn(conn, onMessage);
        },
        async connectPresealed(port, index, body, count): Promise<PresealedConn> {
          const socket = netConnect({ host: HOST, port, noDelay: true });
          await new Promise<void>((resolve, reject) => {
            socket.once('connect', resolve);
            socket.once('error', reject);
          });
          const transport = new SessionTransport(socket, HANDSHAKE_INPUT_LIMIT);
          try {
            const { sealer, opener } = await runHandshake(transport, {
              identity: identityFor(index),
              proofOfWorkTarget: makePowTarget(difficulty),
              incoming: false,
              remoteHost: HOST,
              remotePort: port,
              announcedVersion: VERSION,
              metadata: emptyMetadataConfig,
            });
            sendAck(transport, sealer, { kind: 'ack' });
            const answer = await readAck(transport, opener);
            if (answer.kind !== 'ack') throw new Error(`server answered ${answer.kind}`);
            // `count` copies of the message's layout (header, tag room, prefix, body) back to
            // back, sealed in one pass: chunk after chunk with the session's running nonce, as
            // the library's writer would have sealed them one message at a time.
            const one = encodeFramedMessage(body, MAX_CHUNK_CONTENT);
            const layout = one.buffer;
            const wire = Buffer.allocUnsafeSlow(layout.length * count);
            for (let i = 0; i < count; i++) layout.copy(wire, i * layout.length);
            const all = new EncodedMessage(wire, MAX_CHUNK_CONTENT, one.streamLength * count);
            all.consume();
            sealer.seal(all);
            return {
              wireBytes: wire.length,
              fire: () => void socket.write(wire),
              destroy: () => socket.destroy(),
            };
          } catch (error) {
            socket.destroy();
            throw error;
          }
        },
      };
    },
  };
}
