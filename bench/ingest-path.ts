/**
 * The sharded receive path of many small messages without the kernel and without a second
 * thread: what our code (and libsodium) costs per message of W2 ingest (bench/load.ts), the shard's
 * part and main's part, on one core. W2 ingest's "server CPU µs/msg" moves by ±20 % between runs
 * on a shared 2-core machine (main, two shards and the client contend); this runs in one process
 * (pin it: `taskset -c 1`), and its heap rows (bytes allocated per message on each side) do not
 * move with the machine's load at all.
 *
 * The shard's side is the real one: SessionTransport → ByteEngine → ShardConnection (its
 * sink and body taker, credit) → ShardOutlet (BodyBatch, Outbox) → RingProducer, over an in-memory socket whose
 * 'data' events carry MESSAGES_PER_READ sealed 100-byte messages each, in a buffer of their own (a
 * loopback read of a pre-sealed stream). Main's side is what ShardRingLink, RingLink and MessageQueues do
 * with a MESSAGES record (RingConsumer, one copy out of the ring, forEachBatchedBody, `onBody`)
 * and W2's consumer (bench/load/system-p2p.ts `consume`: `read()`, then `readNow()` until empty). A round
 * feeds one read to each connection and lets the shard's turn end (its doorbell), then drains
 * the ring as main would, moving the shard's overflow in as space frees (the ring protocol).
 *
 * Run:  taskset -c 1 ./node_modules/.bin/node --expose-gc --max-semi-space-size=64 bench/ingest-path.ts
 *         [--connections=500] [--rounds=60] [--repeats=5] [--per-read=64]
 *       (the two flags add the heap bytes allocated per message; without them those rows are empty)
 * Last line: one JSON object.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { bytesCodec } from '../src/main/codecs.ts';
import { Connection, type AcceptedInfo } from '../src/main/connection.ts';
import { DEFAULT_INCOMING_QUEUE_SIZE, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_OUTGOING_QUEUE_SIZE } from '../src/main/options.ts';
import { MessageQueues } from '../src/main/message-queues.ts';
import { RingLink, type ShardLink } from '../src/main/ring-link.ts';
import { createRingBuffer, RingConsumer } from '../src/shared/ring/record-ring.ts';
import { ChunkOpener, ChunkSealer } from '../src/shared/session/chunk-cipher.ts';
import { MAX_CHUNK_CONTENT } from '../src/shared/session/chunk-layout.ts';
import { encodeFramedMessage } from '../src/shared/session/encoded-message.ts';
import { ENGINE_INCOMING_QUEUE, ByteEngine } from '../src/shared/session/byte-engine.ts';
import { HANDSHAKE_INPUT_LIMIT, SessionTransport } from '../src/shared/session/transport.ts';
import { forEachBatchedBody } from '../src/shared/shard/body-batch.ts';
import { RECORD, SHARD_WIDE_ID } from '../src/shared/shard/records.ts';
import { ShardOutlet } from '../src/shared/shard/shard-outlet.ts';
import { createStatsTable } from '../src/shared/shard/stat-slots.ts';
import { ShardConnection, type ShardContext } from '../src/worker/shard-connection.ts';
import { countArg, round, spread } from './common.ts';
import { newCounters, type ServerCounters } from './load/adapter.ts';
import { consume } from './load/system-p2p.ts';
import { MemorySocket } from './memory-socket.ts';

const argv = process.argv.slice(2);
const CONNECTIONS = countArg(argv, 'connections', 500);
const ROUNDS = countArg(argv, 'rounds', 60);
const REPEATS = countArg(argv, 'repeats', 5);
const PER_READ = countArg(argv, 'per-read', 64);
const MESSAGE_SIZE = 100;
/** The pool's ring size (src/main/shard-engine.ts RING_CAPACITY). */
const RING_CAPACITY = 1 << 20;
/** Rounds after the timed ones whose heap growth is measured (no young-generation GC meanwhile with --max-semi-space-size=64). */
const HEAP_ROUNDS = 2;

interface Side {
  cpu: number;
  heap: number;
}

interface Rig {
  readonly sockets: MemorySocket[];
  readonly inputs: Buffer[][];
  readonly counts: ServerCounters;
  /** Main's side: reads every record the shard wrote, moving its overflow in as space frees. */
  drain(): void;
  close(): void;
}

function build(): Rig {
  const ring = createRingBuffer(RING_CAPACITY);
  const outlet = new ShardOutlet(ring, () => undefined);
  const outbox = outlet.outbox;
  const shardConnections = new Map<number, ShardConnection>();
  const context: ShardContext = {
    identity: undefined as never,
    powTarget: Buffer.alloc(32),
    proofOfWorkDifficulty: 0,
    announcedVersion: undefined as never,
    metadata: undefined as never,
    advertisedPort: () => undefined,
    send: outlet.send,
    batchBody: outlet.batchBody,
    transfer: () => {
      throw new Error('no large bodies here');
    },
    maxPayload: () => outbox.maxPayload,
    stats: new Float64Array(createStatsTable(CONNECTIONS + 1)),
    pendingBudget: undefined,
    messageTimeout: undefined,
    dropped: () => undefined,
    forget: (connection) => shardConnections.delete(connection.id),
    schedule: () => undefined,
  };
  const remotes = new Map<number, RingLink>();
  const link: ShardLink = {
    sendLayout: () => false,
    // CREDIT records go main → shard through the other ring; here straight to the connection.
    sendCredit: (id, bytes) => shardConnections.get(id)?.credit(bytes),
    sendClose: () => undefined,
    sendBroadcast: () => 0,
    totals: () => [0, 0],
    returnBody: () => undefined,
  };
  const counts = newCounters();
  const sockets: MemorySocket[] = [];
  const inputs: Buffer[][] = [];
  const body = randomBytes(MESSAGE_SIZE);
  for (let i = 0; i < CONNECTIONS; i++) {
    const id = i + 1;
    const key = randomBytes(32);
    const nonce = randomBytes(24);
    const socket = new MemorySocket();
    const transport = new SessionTransport(socket as unknown as Socket, HANDSHAKE_INPUT_LIMIT);
    const session = new ByteEngine(transport, new ChunkSealer(key, randomBytes(24)), new ChunkOpener(key, nonce), {
      incomingQueueSize: ENGINE_INCOMING_QUEUE,
      outgoingQueueSize: Number.POSITIVE_INFINITY,
      maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE,
      detachSmallMessages: false,
    });
    const connection = new ShardConnection(context, id, i, true, 60_000);
    // The state a handshake and main's accept leave it in (accept-session.ts builds the session).
    (connection as unknown as { established(session: ByteEngine, creditLimit: number): void }).established(session, DEFAULT_INCOMING_QUEUE_SIZE);
    shardConnections.set(id, connection);
    const remote = new RingLink(id, link);
    const queues = new MessageQueues(remote, { incomingQueueSize: DEFAULT_INCOMING_QUEUE_SIZE, outgoingQueueSize: DEFAULT_OUTGOING_QUEUE_SIZE, maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE });
    remotes.set(id, remote);
    void consume(new Connection<Uint8Array, undefined>({} as AcceptedInfo<undefined>, queues, bytesCodec, MAX_CHUNK_CONTENT, DEFAULT_MAX_MESSAGE_SIZE), 'sink', counts);
    sockets.push(socket);
    inputs.push(sealReads(new ChunkSealer(key, nonce), body, ROUNDS + HEAP_ROUNDS));
  }
  const consumer = new RingConsumer(ring);
  const onBody = (id: number, message: Buffer): void => remotes.get(id)!.onBody(message);
  const visit = (id: number, kind: number, payload: Uint8Array): void => {
    if (id !== SHARD_WIDE_ID || kind !== RECORD.MESSAGES) throw new Error(`unexpected record ${kind} for ${id}`);
    forEachBatchedBody(Buffer.from(payload), onBody);
  };
  return {
    sockets,
    inputs,
    counts,
    drain() {
      for (;;) {
        const read = consumer.read(visit);
        if (consumer.needsSpaceSignal()) outbox.onSpace();
        if (read === 0 && outbox.backlog === 0) return;
      }
    },
    close() {
      for (const connection of shardConnections.values()) void connection.abandon();
    },
  };
}

/** `rounds` reads of PER_READ sealed copies of `body`, each read in an ArrayBuffer of its own. */
function sealReads(sealer: ChunkSealer, body: Buffer, rounds: number): Buffer[] {
  const one = encodeFramedMessage(body, MAX_CHUNK_CONTENT).buffer.length;
  const reads: Buffer[] = [];
  for (let r = 0; r < rounds; r++) {
    const wire = Buffer.from(new ArrayBuffer(one * PER_READ));
    for (let m = 0; m < PER_READ; m++) encodeFramedMessage(body, MAX_CHUNK_CONTENT).buffer.copy(wire, m * one);
    reads.push(sealer.sealLayout(wire));
  }
  return reads;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const gc = (globalThis as { gc?: () => void }).gc;

function cpuMicros(): number {
  const used = process.cpuUsage();
  return used.user + used.system;
}

/** One round: each connection's read, the shard's end of turn, then main's drain and its readers. */
async function roundOf(rig: Rig, r: number, shard: Side, main: Side): Promise<void> {
  let cpu = cpuMicros();
  let heap = process.memoryUsage().heapUsed;
  for (let c = 0; c < CONNECTIONS; c++) rig.sockets[c]!.emit('data', rig.inputs[c]![r]!);
  await turn(); // the shard's doorbell: its batch flushed
  let now = cpuMicros();
  let heapNow = process.memoryUsage().heapUsed;
  shard.cpu += now - cpu;
  shard.heap += heapNow - heap;
  cpu = now;
  heap = heapNow;
  rig.drain();
  await turn(); // the readers' turn
  now = cpuMicros();
  heapNow = process.memoryUsage().heapUsed;
  main.cpu += now - cpu;
  main.heap += heapNow - heap;
}

interface RunResult {
  readonly shardUs: number;
  readonly mainUs: number;
  readonly shardHeap: number | undefined;
  readonly mainHeap: number | undefined;
}

async function runOnce(): Promise<RunResult> {
  const rig = build();
  await turn();
  const warmup = Math.min(10, Math.floor(ROUNDS / 5));
  const shard = { cpu: 0, heap: 0 };
  const main = { cpu: 0, heap: 0 };
  for (let r = 0; r < warmup; r++) await roundOf(rig, r, shard, main);
  shard.cpu = main.cpu = 0;
  let messages = rig.counts.messages;
  for (let r = warmup; r < ROUNDS; r++) await roundOf(rig, r, shard, main);
  const timed = rig.counts.messages - messages;
  const shardUs = shard.cpu / timed;
  const mainUs = main.cpu / timed;
  // Heap: rounds that no collection interrupts (a young generation larger than they allocate).
  gc?.();
  shard.heap = main.heap = 0;
  messages = rig.counts.messages;
  for (let r = ROUNDS; r < ROUNDS + HEAP_ROUNDS; r++) await roundOf(rig, r, shard, main);
  const heapMessages = rig.counts.messages - messages;
  const expected = CONNECTIONS * PER_READ * (ROUNDS + HEAP_ROUNDS);
  if (rig.counts.messages !== expected) throw new Error(`read ${rig.counts.messages} messages, expected ${expected}`);
  rig.close();
  return {
    shardUs,
    mainUs,
    shardHeap: gc ? shard.heap / heapMessages : undefined,
    mainHeap: gc ? main.heap / heapMessages : undefined,
  };
}

async function main(): Promise<void> {
  const results: RunResult[] = [];
  for (let i = 0; i < REPEATS; i++) results.push(await runOnce());
  const pick = (key: 'shardUs' | 'mainUs' | 'shardHeap' | 'mainHeap'): number[] => results.flatMap((result) => (result[key] === undefined ? [] : [result[key]]));
  const shard = spread(pick('shardUs'));
  const main = spread(pick('mainUs'));
  const total = spread(results.map((result) => result.shardUs + result.mainUs));
  const shardHeap = pick('shardHeap');
  const mainHeap = pick('mainHeap');
  console.log(`ingest path: ${CONNECTIONS} connections × ${PER_READ} messages of ${MESSAGE_SIZE} B per read, ${ROUNDS} rounds, ${REPEATS} repeats (median, min–max)`);
  console.log('');
  console.log('| side | CPU µs/msg | heap B/msg |');
  console.log('|:--|--:|--:|');
  const heapCell = (values: number[]): string => (values.length === 0 ? '(run with --expose-gc --max-semi-space-size=64)' : String(round(spread(values).median, 0)));
  console.log(`| shard (socket data → ring) | ${round(shard.median, 3)} (${round(shard.min, 3)}–${round(shard.max, 3)}) | ${heapCell(shardHeap)} |`);
  console.log(`| main (ring → read) | ${round(main.median, 3)} (${round(main.min, 3)}–${round(main.max, 3)}) | ${heapCell(mainHeap)} |`);
  console.log(`| both | ${round(total.median, 3)} (${round(total.min, 3)}–${round(total.max, 3)}) | |`);
  console.log(
    JSON.stringify({
      bench: 'ingest-path',
      connections: CONNECTIONS,
      per_read: PER_READ,
      rounds: ROUNDS,
      repeats: REPEATS,
      shard_us_per_msg: round(shard.median, 3),
      main_us_per_msg: round(main.median, 3),
      total_us_per_msg: round(total.median, 3),
      shard_heap_bytes_per_msg: shardHeap.length === 0 ? null : round(spread(shardHeap).median, 0),
      main_heap_bytes_per_msg: mainHeap.length === 0 ? null : round(spread(mainHeap).median, 0),
    }),
  );
}

await main();
