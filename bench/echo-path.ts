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
 * After the timed runs, windows of a few rounds each count, per echoed message: JS heap bytes and
 * objects allocated (by site), promises created, and socket writes (bench/per-message-counts.ts).
 * They do not move with the machine's load.
 *
 * With `--socket`, the same counts come from a real server: a `Pool` (`--workers=0` inline,
 * `--workers=2` sharded) in this process, echoing as W2's server does, and a client in a child
 * process (this file with `--client`) keeping one 100-byte message in flight on each of
 * `--connections` connections. Counts are the server's, per echoed message: CPU of the whole
 * process and of the main thread, main-thread heap bytes, objects and promises, and syscalls of
 * every thread (`strace -f -c`, when installed). A shard's own allocations are in its isolate
 * and not counted here.
 *
 * Run:  ./node_modules/.bin/node bench/echo-path.ts [--connections=1000] [--rounds=300] [--repeats=5] [--sites=12]
 *       ./node_modules/.bin/node bench/echo-path.ts --socket --workers=0|2 [--connections=1000] [--window=50000] [--repeats=3] [--cpu-only]
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
import { allocationSites, heapBytesPerMessage, promisesPerMessage, syscallsPerMessage, type AllocationSite, type Window } from './per-message-counts.ts';
import { MemorySocket } from './memory-socket.ts';

const argv = process.argv.slice(2);
const CONNECTIONS = countArg(argv, 'connections', 1000);
const ROUNDS = countArg(argv, 'rounds', 300);
const REPEATS = countArg(argv, 'repeats', 5);
const SITES = countArg(argv, 'sites', 12);
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

/** Rounds of each counting window after the timed ones (a young-generation collection or two at most). */
const WINDOW_ROUNDS = 10;
/** Counting windows after the timed rounds: heap bytes, allocation sites, promises. */
const WINDOWS = 3;

interface Counts {
  heapBytes: number;
  objects: number;
  sites: AllocationSite[];
  promises: number;
  writes?: number;
  syscalls?: { total: number; byName: Record<string, number> } | undefined;
}

async function runOnce(counting: boolean): Promise<{ usPerMessage: number; counts: Counts | undefined }> {
  const counts = { messages: 0 };
  const budget = new PendingMessageBudget();
  const body = randomBytes(MESSAGE_SIZE);
  const peers = Array.from({ length: CONNECTIONS }, () => open(budget, counts));
  const extra = counting ? WINDOWS * WINDOW_ROUNDS : 0;
  const inputs = peers.map((peer) => sealInputs(peer, body, ROUNDS + extra));
  await turn();
  const warmup = Math.min(50, Math.floor(ROUNDS / 5));
  let started = process.cpuUsage();
  let startMessages = 0;
  for (let r = 0; r < ROUNDS; r++) {
    if (r === warmup) {
      await turn();
      started = process.cpuUsage();
      startMessages = counts.messages;
    }
    for (let c = 0; c < CONNECTIONS; c++) peers[c]!.socket.emit('data', inputs[c]![r]!);
    await turn();
  }
  const used = process.cpuUsage(started);
  const messages = counts.messages - startMessages;
  let result: Counts | undefined;
  if (counting) {
    let next = ROUNDS;
    const window: Window = async () => {
      const from = counts.messages;
      for (const end = next + WINDOW_ROUNDS; next < end; next++) {
        for (let c = 0; c < CONNECTIONS; c++) peers[c]!.socket.emit('data', inputs[c]![next]!);
        await turn();
      }
      return counts.messages - from;
    };
    const writesBefore = peers.reduce((sum, p) => sum + p.socket.writes, 0);
    const messagesBefore = counts.messages;
    const heapBytes = await heapBytesPerMessage(window);
    const writes = (peers.reduce((sum, p) => sum + p.socket.writes, 0) - writesBefore) / (counts.messages - messagesBefore);
    const { sites, objects } = await allocationSites(window);
    const promises = await promisesPerMessage(window);
    result = { heapBytes, objects, sites, promises, writes };
  }
  const wireBytes = peers.reduce((sum, p) => sum + p.socket.bytesWritten, 0);
  const expected = CONNECTIONS * (ROUNDS + extra);
  if (counts.messages !== expected || wireBytes !== expected * (MESSAGE_SIZE + 4 + 18)) {
    throw new Error(`echoed ${counts.messages} messages (${wireBytes} B), expected ${expected}`);
  }
  for (const peer of peers) await peer.conn.close();
  return { usPerMessage: (used.user + used.system) / messages, counts: result };
}

function printCounts(counts: Counts, title: string): void {
  console.log(`\n### ${title}: per echoed message\n`);
  console.log('| what | per message |');
  console.log('|:--|--:|');
  console.log(`| JS heap bytes allocated | ${round(counts.heapBytes, 0)} |`);
  console.log(`| objects allocated (sampled, estimate) | ${round(counts.objects, 1)} |`);
  console.log(`| promises created | ${round(counts.promises, 2)} |`);
  if (counts.writes !== undefined) console.log(`| socket.write calls | ${round(counts.writes, 2)} |`);
  if (counts.syscalls) {
    const named = Object.entries(counts.syscalls.byName).filter(([, n]) => n >= 0.01).sort((a, b) => b[1] - a[1]);
    console.log(`| syscalls, all threads | ${round(counts.syscalls.total, 2)} (${named.map(([name, n]) => `${name} ${round(n, 2)}`).join(', ')}) |`);
  }
  console.log(`\nAllocation sites (innermost frame first), bytes and objects per message:\n`);
  console.log('| bytes | objects | site |');
  console.log('|--:|--:|:--|');
  for (const site of counts.sites.slice(0, SITES)) console.log(`| ${round(site.bytes, 1)} | ${round(site.objects, 2)} | ${site.site.replaceAll('|', '\\|')} |`);
}

function countsJson(counts: Counts): Record<string, unknown> {
  return {
    heap_bytes_per_msg: round(counts.heapBytes, 0),
    objects_per_msg: round(counts.objects, 2),
    promises_per_msg: round(counts.promises, 3),
    ...(counts.writes === undefined ? {} : { writes_per_msg: round(counts.writes, 3) }),
    ...(counts.syscalls ? { syscalls_per_msg: round(counts.syscalls.total, 3) } : {}),
  };
}

async function inMemory(): Promise<void> {
  const runs: number[] = [];
  let counts: Counts | undefined;
  for (let i = 0; i < REPEATS; i++) {
    const result = await runOnce(i === REPEATS - 1);
    runs.push(result.usPerMessage);
    counts = result.counts ?? counts;
  }
  const s = spread(runs);
  console.log(`\n## Inline echo path without the kernel: ${grouped(CONNECTIONS)} connections × ${ROUNDS} rounds, ${MESSAGE_SIZE}-byte messages, ${REPEATS} repeats\n`);
  console.log('| what | median | min | max |');
  console.log('|:--|--:|--:|--:|');
  console.log(`| CPU µs per echoed message (read, decrypt, frame, deliver, encode, seal, write) | ${round(s.median, 2)} | ${round(s.min, 2)} | ${round(s.max, 2)} |`);
  printCounts(counts!, 'Counts over the last repeat');
  console.log(JSON.stringify({ suite: 'echo-path', mode: 'memory', node: process.version, connections: CONNECTIONS, rounds: ROUNDS, repeats: REPEATS, us_per_msg: round(s.median, 3), us_per_msg_min: round(s.min, 3), us_per_msg_max: round(s.max, 3), ...countsJson(counts!) }));
}

// ------------------------------------------------------------ over real sockets (--socket)

const WORKERS = countArg(argv, 'workers', 0);
const WINDOW = countArg(argv, 'window', 50_000);
const HOST = '127.0.0.1';

/**
 * The client child: `--client --port=P`, one message in flight per connection. IPC `pause`
 * lets every connection finish its round trip and stop (`idle` once all have); `run` with
 * `rounds` makes exactly that many more on each, then `idle`; `run` without goes on for good.
 */
async function client(port: number): Promise<void> {
  const { benchIdentity } = await import('./load/system-p2p.ts');
  const { connect, emptyMetadataConfig, SANDBOXED_MAVRYK } = await import('../src/main/index.ts');
  const { announcedVersion, nodeLocalVersions } = await import('../src/wire/index.ts');
  const version = announcedVersion(nodeLocalVersions(SANDBOXED_MAVRYK));
  const message = randomBytes(MESSAGE_SIZE);
  const conns: Array<Connection<Uint8Array, unknown>> = [];
  for (let i = 0; i < CONNECTIONS; i += 50) {
    const batch = Array.from({ length: Math.min(50, CONNECTIONS - i) }, async () => {
      const auth = await connect(HOST, port, { identity: benchIdentity(0), announcedVersion: version, metadata: emptyMetadataConfig, proofOfWorkDifficulty: 0, timeout: 30_000 });
      return auth.accept({ codec: bytesCodec, timeout: 30_000 });
    });
    conns.push(...(await Promise.all(batch)));
  }
  const done = new Float64Array(conns.length);
  const allowed = new Float64Array(conns.length).fill(Number.POSITIVE_INFINITY);
  let idle = 0;
  let wake: (() => void) | undefined;
  let gate = new Promise<void>((resolve) => (wake = resolve));
  const stopped = (): void => {
    if (++idle === conns.length) process.send?.({ type: 'idle' });
  };
  process.on('message', (m: { type: string; rounds?: number }) => {
    if (m.type === 'pause') allowed.set(done);
    else {
      for (let i = 0; i < conns.length; i++) allowed[i] = done[i]! + (m.rounds ?? Number.POSITIVE_INFINITY);
      idle = 0;
      wake!();
      gate = new Promise<void>((resolve) => (wake = resolve));
    }
  });
  process.send?.({ type: 'connected' });
  conns.forEach((conn, i) => {
    void (async () => {
      try {
        for (;;) {
          if (done[i]! >= allowed[i]!) {
            stopped();
            await gate;
            continue;
          }
          if (!conn.writeNow(message)) await conn.write(message);
          await conn.read();
          done[i]!++;
        }
      } catch {
        // closed
      }
    })();
  });
}

async function overSockets(): Promise<void> {
  const { fork } = await import('node:child_process');
  const { consume: echoAsW2 } = await import('./load/system-p2p.ts');
  const { newCounters } = await import('./load/adapter.ts');
  const { Pool, emptyMetadataConfig, SANDBOXED_MAVRYK } = await import('../src/main/index.ts');
  const { benchIdentity } = await import('./load/system-p2p.ts');
  const counters = newCounters();
  const pool = new Pool({
    identity: benchIdentity(0),
    chainName: SANDBOXED_MAVRYK,
    metadata: emptyMetadataConfig,
    proofOfWorkDifficulty: 0,
    workers: WORKERS,
    maxConnections: CONNECTIONS + 100,
    maxIncomingHandshakes: 1000,
    maxIncomingHandshakesPerAddress: 1000,
    greylistMs: 1,
  });
  pool.on('connection', (conn) => void echoAsW2(conn as Connection<Uint8Array, unknown>, 'echo', counters));
  const { port } = await pool.listen({ host: HOST, port: 0 });
  const child = fork(new URL(import.meta.url).pathname, ['--client', `--port=${port}`, `--connections=${CONNECTIONS}`], { execArgv: process.execArgv });
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m: { type?: string }) => m.type === 'connected' && resolve());
    child.on('exit', (code) => reject(new Error(`client exited with ${code}`)));
  });
  const until = async (target: number): Promise<void> => {
    while (counters.messages < target) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  const window: Window = async () => {
    const from = counters.messages;
    await until(from + WINDOW);
    return counters.messages - from;
  };
  await until(WINDOW / 2); // warm-up
  const cpu: number[] = [];
  const mainCpu: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const all = process.cpuUsage();
    const main = process.threadCpuUsage();
    const messages = await window();
    const used = process.cpuUsage(all);
    const usedMain = process.threadCpuUsage(main);
    cpu.push((used.user + used.system) / messages);
    mainCpu.push((usedMain.user + usedMain.system) / messages);
  }
  if (argv.includes('--cpu-only')) {
    child.kill();
    await pool.close();
    const s = spread(cpu);
    const m = spread(mainCpu);
    console.log(JSON.stringify({ suite: 'echo-path', mode: 'socket', workers: WORKERS, connections: CONNECTIONS, window: WINDOW, repeats: REPEATS, us_per_msg: round(s.median, 3), main_us_per_msg: round(m.median, 3) }));
    return;
  }
  const heapBytes = await heapBytesPerMessage(window);
  const { sites, objects } = await allocationSites(window);
  const promises = await promisesPerMessage(window);
  // Syscalls over an exact number of round trips: the client stops, strace attaches to the
  // quiet server, the client makes `rounds` more on each connection and stops, strace detaches.
  const idle = (): Promise<void> => new Promise((resolve) => child.once('message', (m: { type?: string }) => m.type === 'idle' && resolve()));
  const quiet = idle();
  child.send({ type: 'pause' });
  await quiet;
  const rounds = Math.max(1, Math.round(WINDOW / CONNECTIONS));
  const syscalls = await syscallsPerMessage(async () => {
    const finished = idle();
    child.send({ type: 'run', rounds });
    await finished;
    await new Promise((resolve) => setTimeout(resolve, 100)); // the last echoes' write callbacks
    return rounds * CONNECTIONS;
  });
  const counts: Counts = { heapBytes, objects, sites, promises, syscalls };
  child.kill();
  await pool.close();
  const s = spread(cpu);
  const m = spread(mainCpu);
  const mode = WORKERS === 0 ? 'inline (workers: 0)' : `sharded (workers: ${WORKERS})`;
  console.log(`\n## Echo over loopback sockets, server ${mode}: ${grouped(CONNECTIONS)} connections, ${MESSAGE_SIZE}-byte messages, windows of ${grouped(WINDOW)} messages, ${REPEATS} repeats\n`);
  console.log('| server CPU per echoed message | median | min | max |');
  console.log('|:--|--:|--:|--:|');
  console.log(`| process, all threads (µs) | ${round(s.median, 2)} | ${round(s.min, 2)} | ${round(s.max, 2)} |`);
  console.log(`| main thread (µs) | ${round(m.median, 2)} | ${round(m.min, 2)} | ${round(m.max, 2)} |`);
  printCounts(counts, `Server, ${mode}${WORKERS > 0 ? ' (heap, objects and promises: main thread only)' : ''}`);
  console.log(JSON.stringify({ suite: 'echo-path', mode: 'socket', workers: WORKERS, node: process.version, connections: CONNECTIONS, window: WINDOW, repeats: REPEATS, us_per_msg: round(s.median, 3), us_per_msg_min: round(s.min, 3), us_per_msg_max: round(s.max, 3), main_us_per_msg: round(m.median, 3), main_us_per_msg_min: round(m.min, 3), main_us_per_msg_max: round(m.max, 3), ...countsJson(counts) }));
}

if (argv.includes('--client')) await client(countArg(argv, 'port', 0));
else if (argv.includes('--socket')) await overSockets();
else await inMemory();
