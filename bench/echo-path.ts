/**
 * The inline echo path without the kernel: what our code (and libsodium) costs per echoed small
 * message, the part of W2 echo's "server CPU µs/msg" (bench/load.ts) that is ours and not the
 * socket's. W2 moves between runs by thousands of round trips/s on a shared machine; this runs in
 * one process on one core (pin it: `taskset -c 1`), and its heap row (bytes allocated per
 * message) does not move with the machine's load at all, so it shows an allocation cut there too.
 *
 * Each connection is the real stack — SessionTransport → ByteEngine → Connection (a
 * `Pool`'s with `workers: 0`: default queues, a 60 s messageTimeout, a pending-message budget) —
 * over an in-memory socket: 'data' events carry one sealed 100-byte message each in a buffer of
 * its own (as a loopback read does: bench/load W2), and writes are counted, not sent. The consumer
 * is W2's: `read()`, echo with `writeNow`, drain with `readNow()` (bench/load/system-p2p.ts).
 * Every round feeds one message to each connection, then lets the event loop turn once, as a
 * poll phase with that many readable sockets would.
 *
 * Run:  ./node_modules/.bin/node --expose-gc --max-semi-space-size=64 bench/echo-path.ts [--connections=1000] [--rounds=300] [--repeats=5]
 *       (the two flags add the heap bytes allocated per message; without them that row is empty)
 * Last line: one JSON object.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { bytesCodec } from '../src/main/codecs.ts';
import { Connection, type AcceptedInfo, type Received } from '../src/main/connection.ts';
import { DEFAULT_INCOMING_QUEUE_SIZE, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MESSAGE_TIMEOUT, DEFAULT_OUTGOING_QUEUE_SIZE } from '../src/main/options.ts';
import { ChunkOpener, ChunkSealer } from '../src/shared/session/chunk-cipher.ts';
import { MAX_CHUNK_CONTENT } from '../src/shared/session/chunk-layout.ts';
import { encodeFramedMessage } from '../src/shared/session/encoded-message.ts';
import { ENGINE_INCOMING_QUEUE, ByteEngine } from '../src/shared/session/byte-engine.ts';
import { DirectLink } from '../src/main/direct-link.ts';
import { MessageQueues } from '../src/main/message-queues.ts';
import { PendingMessageBudget } from '../src/shared/session/pending-message-budget.ts';
import { HANDSHAKE_INPUT_LIMIT, SessionTransport } from '../src/shared/session/transport.ts';
import { countArg, grouped, round, spread } from './common.ts';
import { MemorySocket } from './memory-socket.ts';

const argv = process.argv.slice(2);
const CONNECTIONS = countArg(argv, 'connections', 1000);
const ROUNDS = countArg(argv, 'rounds', 300);
const REPEATS = countArg(argv, 'repeats', 5);
const MESSAGE_SIZE = 100;

interface Peer {
  readonly socket: MemorySocket;
  readonly conn: Connection<Uint8Array, undefined>;
  /** The peer's sealer: its running nonce is the one our opener expects. */
  readonly sealer: ChunkSealer;
}

async function consume(conn: Connection<Uint8Array, undefined>, counts: { messages: number }): Promise<void> {
  try {
    for (;;) {
      let received: Received<Uint8Array> | undefined = await conn.read();
      while (received !== undefined) {
        counts.messages++;
        if (!conn.writeNow(received.message)) await conn.write(received.message);
        received = conn.readNow();
      }
    }
  } catch {
    // closed
  }
}

function open(budget: PendingMessageBudget, counts: { messages: number }): Peer {
  const key = randomBytes(32);
  const inNonce = randomBytes(24);
  const outNonce = randomBytes(24);
  const socket = new MemorySocket();
  const transport = new SessionTransport(socket as unknown as Socket, HANDSHAKE_INPUT_LIMIT);
  const limits = {
    incomingQueueSize: DEFAULT_INCOMING_QUEUE_SIZE,
    outgoingQueueSize: DEFAULT_OUTGOING_QUEUE_SIZE,
    maxMessageSize: DEFAULT_MAX_MESSAGE_SIZE,
    messageTimeout: DEFAULT_MESSAGE_TIMEOUT,
    pendingBudget: budget,
  };
  // As inline-backend.ts builds it: the engine under a DirectLink under the queues.
  const engine = new ByteEngine(transport, new ChunkSealer(key, outNonce), new ChunkOpener(key, inNonce), {
    ...limits,
    incomingQueueSize: ENGINE_INCOMING_QUEUE,
    outgoingQueueSize: Number.POSITIVE_INFINITY,
  });
  const session = new MessageQueues(new DirectLink(engine, limits.incomingQueueSize), limits);
  const conn = new Connection<Uint8Array, undefined>({} as AcceptedInfo<undefined>, session, bytesCodec, MAX_CHUNK_CONTENT, DEFAULT_MAX_MESSAGE_SIZE);
  void consume(conn, counts);
  return { socket, conn, sealer: new ChunkSealer(key, inNonce) };
}

/** `rounds` sealed copies of one message for `peer`, each in an ArrayBuffer of its own (a loopback read). */
function sealInputs(peer: Peer, body: Buffer, rounds: number): Buffer[] {
  const inputs: Buffer[] = [];
  for (let i = 0; i < rounds; i++) {
    const message = encodeFramedMessage(body, MAX_CHUNK_CONTENT);
    const wire = Buffer.from(new ArrayBuffer(message.buffer.length));
    message.buffer.copy(wire);
    peer.sealer.sealLayout(wire);
    inputs.push(wire);
  }
  return inputs;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function runOnce(): Promise<{ usPerMessage: number; writesPerMessage: number; heapBytes: number | undefined }> {
  const counts = { messages: 0 };
  const budget = new PendingMessageBudget();
  const body = randomBytes(MESSAGE_SIZE);
  const peers = Array.from({ length: CONNECTIONS }, () => open(budget, counts));
  const inputs = peers.map((peer) => sealInputs(peer, body, ROUNDS + HEAP_ROUNDS));
  await turn();
  const warmup = Math.min(50, Math.floor(ROUNDS / 5));
  let started = process.cpuUsage();
  let startMessages = 0;
  let startWrites = 0;
  for (let r = 0; r < ROUNDS; r++) {
    if (r === warmup) {
      await turn();
      started = process.cpuUsage();
      startMessages = counts.messages;
      startWrites = peers.reduce((sum, p) => sum + p.socket.writes, 0);
    }
    for (let c = 0; c < CONNECTIONS; c++) peers[c]!.socket.emit('data', inputs[c]![r]!);
    await turn();
  }
  const used = process.cpuUsage(started);
  const heapBytes = await heapBytesPerMessage(peers, inputs, counts);
  const messages = counts.messages - startMessages;
  const writes = peers.reduce((sum, p) => sum + p.socket.writes, 0) - startWrites;
  const wireBytes = peers.reduce((sum, p) => sum + p.socket.bytesWritten, 0);
  const expected = CONNECTIONS * (ROUNDS + HEAP_ROUNDS);
  if (counts.messages !== expected || wireBytes !== expected * (MESSAGE_SIZE + 4 + 18)) {
    throw new Error(`echoed ${counts.messages} messages (${wireBytes} B), expected ${expected}`);
  }
  for (const peer of peers) await peer.conn.close();
  return { usPerMessage: (used.user + used.system) / messages, writesPerMessage: writes / messages, heapBytes };
}

/** Rounds after the timed ones whose heap growth is measured (~15 MB: no young-generation GC meanwhile with --max-semi-space-size=64). */
const HEAP_ROUNDS = 10;

/**
 * JS heap bytes allocated per echoed message: the heap's growth over HEAP_ROUNDS rounds that no
 * garbage collection interrupts (a young generation larger than what they allocate). Unlike CPU
 * time it does not move with the machine's load, so it shows an allocation cut on a busy machine.
 */
async function heapBytesPerMessage(peers: Peer[], inputs: Buffer[][], counts: { messages: number }): Promise<number | undefined> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const messages = counts.messages;
  for (let r = ROUNDS; r < ROUNDS + HEAP_ROUNDS; r++) {
    for (let c = 0; c < CONNECTIONS; c++) peers[c]!.socket.emit('data', inputs[c]![r]!);
    await turn();
  }
  return gc ? (process.memoryUsage().heapUsed - before) / (counts.messages - messages) : undefined;
}

async function main(): Promise<void> {
  const runs: number[] = [];
  let writesPerMessage = 0;
  const heap: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const result = await runOnce();
    runs.push(result.usPerMessage);
    writesPerMessage = result.writesPerMessage;
    if (result.heapBytes !== undefined) heap.push(result.heapBytes);
  }
  const heapBytes = heap.length > 0 ? spread(heap).median : undefined;
  const s = spread(runs);
  console.log(`\n## Inline echo path without the kernel: ${grouped(CONNECTIONS)} connections × ${ROUNDS} rounds, ${MESSAGE_SIZE}-byte messages, ${REPEATS} repeats\n`);
  console.log('| what | median | min | max |');
  console.log('|:--|--:|--:|--:|');
  console.log(`| CPU µs per echoed message (read, decrypt, frame, deliver, encode, seal, write) | ${round(s.median, 2)} | ${round(s.min, 2)} | ${round(s.max, 2)} |`);
  console.log(`| socket.write calls per message | ${round(writesPerMessage, 2)} | | |`);
  console.log(`| JS heap bytes allocated per message | ${heapBytes === undefined ? 'run with --expose-gc --max-semi-space-size=64' : round(heapBytes, 0)} | | |`);
  console.log(JSON.stringify({ suite: 'echo-path', node: process.version, connections: CONNECTIONS, rounds: ROUNDS, repeats: REPEATS, us_per_msg: round(s.median, 3), us_per_msg_min: round(s.min, 3), us_per_msg_max: round(s.max, 3), writes_per_msg: round(writesPerMessage, 3), heap_bytes_per_msg: heapBytes === undefined ? null : round(heapBytes, 0) }));
}

await main();
