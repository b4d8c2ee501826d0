/**
 * Chunk codec micro benchmarks (protocol.md §6, §9.2–§9.3): what one core spends per message on each
 * side of an established session, next to raw libsodium on the same sizes.
 *
 * - encode: `encodeFramedMessage` alone (allocate the wire layout, copy the body in).
 * - seal:   encode + `ChunkSealer.seal`, the sender's whole per-message path before the socket.
 * - open:   the receiver's per-read path as `ByteEngine.pump` runs it: a read buffer of
 *           sealed chunks goes through `ByteQueue` → `ChunkOpener.open` → `MessageFramer.push`.
 *           Each op first copies the pristine wire bytes into the read buffer (opening is in
 *           place), as the kernel-to-user copy of a real read would; small messages are batched
 *           into ~64 KiB reads, as a socket delivers them.
 * - secretbox seal/open: one `crypto_secretbox_(open_)detached` call on the whole payload, the
 *           ceiling any XSalsa20-Poly1305 framing can reach on this core.
 * - frame:  `MessageFramer` alone over chunks already decrypted.
 * - copy 64 KiB into a reused / fresh buffer: the memory reference the codec rows are read with.
 *
 * Run: ./node_modules/.bin/node bench/chunk-codec.bench.ts [--quick]
 * Last line: one JSON object (see `summary` below). MB = 10^6 bytes of message body.
 */
import Benchmark from 'benchmark';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import sodium from 'sodium-native';
import { ByteQueue } from '../src/shared/session/byte-queue.ts';
import { ChunkOpener, ChunkSealer } from '../src/shared/session/chunk-cipher.ts';
import { CHUNK_OVERHEAD, HEADER_LENGTH, MAX_CHUNK_CONTENT, checkBinaryChunksSize } from '../src/shared/session/chunk-layout.ts';
import { encodeFramedMessage, MESSAGE_PREFIX_LENGTH } from '../src/shared/session/encoded-message.ts';
import { frameChunk } from '../src/shared/session/frame-chunk.ts';
import { MessageFramer, type FramedMessage } from '../src/shared/session/message-framer.ts';
import { grouped, MB, round, sizeLabel } from './common.ts';

const QUICK = process.argv.includes('--quick');
/** benchmark.js defaults to 5 s a case; 1 s keeps the whole suite well under a minute. */
const OPTIONS: Benchmark.Options = QUICK ? { maxTime: 0.25, minSamples: 3 } : { maxTime: 1, minSamples: 8 };

const SIZES = [100, 1024, 16 * 1024, 64 * 1024] as const;
/** Node's net.Socket reads into 64 KiB buffers: the unit a receiver sees. */
const READ_SIZE = 64 * 1024;
const MAX_MESSAGE = 100 * 1024 * 1024;
/** Largest body that fits one chunk with its 4-byte prefix: a 64 KiB body takes two (65517 + 23). */
const ONE_CHUNK_BODY = MAX_CHUNK_CONTENT - MESSAGE_PREFIX_LENGTH;

const key = randomBytes(32);
const nonce = randomBytes(24);

interface CaseInfo {
  readonly name: string;
  readonly kind: 'encode' | 'seal' | 'secretbox seal' | 'open' | 'secretbox open' | 'frame' | 'memory';
  /** Body bytes of one message (what MB/s counts). */
  readonly bodySize: number;
  /** Messages handled by one benchmark op. */
  readonly messagesPerOp: number;
}

const cases = new Map<string, CaseInfo>();
const suite = new Benchmark.Suite('chunk-codec');
/** Side-effect sink so no result is provably unused. */
let sink = 0;

function add(info: CaseInfo, fn: () => void): void {
  cases.set(info.name, info);
  suite.add(info.name, fn, OPTIONS);
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`benchmark self-check failed: ${what}`);
}

/** Bytes a message of `bodySize` takes on the wire at the default chunk size. */
function wireLength(bodySize: number): number {
  const stream = bodySize + MESSAGE_PREFIX_LENGTH;
  return stream + CHUNK_OVERHEAD * Math.max(1, Math.ceil(stream / MAX_CHUNK_CONTENT));
}

// ------------------------------------------------------------------ sender side

function addEncode(size: number): void {
  const body = randomBytes(size);
  add({ name: `encode ${sizeLabel(size)}`, kind: 'encode', bodySize: size, messagesPerOp: 1 }, () => {
    sink ^= encodeFramedMessage(body, MAX_CHUNK_CONTENT).buffer.length;
  });
}

function addSeal(size: number): void {
  const body = randomBytes(size);
  const sealer = new ChunkSealer(key, nonce);
  add({ name: `seal ${sizeLabel(size)}`, kind: 'seal', bodySize: size, messagesPerOp: 1 }, () => {
    const message = encodeFramedMessage(body, MAX_CHUNK_CONTENT);
    message.consume(); // as ByteEngine.write does before sealing
    sink ^= sealer.seal(message)[0]!;
  });
}

function addSecretboxSeal(size: number): void {
  const buffer = randomBytes(size);
  const tag = Buffer.alloc(16);
  add({ name: `secretbox seal ${sizeLabel(size)}`, kind: 'secretbox seal', bodySize: size, messagesPerOp: 1 }, () => {
    sodium.crypto_secretbox_detached(buffer, tag, buffer, nonce, key);
  });
}

// ------------------------------------------------------------------ receiver side

/**
 * Sealed wire bytes of `count` messages of `size`, and a replay that opens and frames them again
 * and again: each op restores the ciphertext, restarts the nonce, and pushes the bytes through
 * the receive path as reads of at most `readSize` bytes.
 */
function wireReplay(size: number, count: number, readSize: number): () => void {
  const body = randomBytes(size);
  const sealer = new ChunkSealer(key, nonce);
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const message = encodeFramedMessage(body, MAX_CHUNK_CONTENT);
    message.consume();
    parts.push(sealer.seal(message));
  }
  const pristine = Buffer.concat(parts);
  const working = Buffer.allocUnsafeSlow(pristine.length);
  const reads: Buffer[] = [];
  for (let at = 0; at < working.length; at += readSize) reads.push(working.subarray(at, Math.min(at + readSize, working.length)));
  const queue = new ByteQueue();
  const scratch = Buffer.allocUnsafeSlow(HEADER_LENGTH + 65535);
  const framer = new MessageFramer(MAX_MESSAGE);
  let got: FramedMessage[] | undefined;
  let messages = 0;
  const emit = (message: FramedMessage): void => {
    messages++;
    got?.push(message);
  };
  const run = (): void => {
    pristine.copy(working);
    const opener = new ChunkOpener(key, nonce);
    for (const read of reads) {
      queue.push(read);
      while (queue.length >= HEADER_LENGTH) {
        const length = queue.peekUInt16BE();
        if (queue.length < HEADER_LENGTH + length) break;
        // As ByteEngine.pump: a chunk spanning reads is joined into the thread's scratch.
        queue.skip(HEADER_LENGTH);
        const ciphertext = opener.hold(queue, length, scratch);
        frameChunk(framer, opener, ciphertext, emit, ciphertext.buffer !== scratch.buffer);
      }
    }
  };
  // Self-check once: every message comes back whole and nothing is left over.
  got = [];
  run();
  const received = got;
  got = undefined;
  check(received.length === count && queue.length === 0 && framer.pendingBytes === 0, `open ${size}: ${received.length}/${count} messages`);
  check(received.every((m) => m.size === size + MESSAGE_PREFIX_LENGTH && m.body.equals(body)), `open ${size}: bodies differ`);
  sink ^= messages;
  return run;
}

function addOpen(size: number): void {
  const count = Math.max(1, Math.floor(READ_SIZE / wireLength(size)));
  const run = wireReplay(size, count, Number.MAX_SAFE_INTEGER);
  add({ name: `open ${sizeLabel(size)}`, kind: 'open', bodySize: size, messagesPerOp: count }, run);
}

/**
 * 64 KiB messages as a socket really delivers them: 64 KiB reads do not line up with 65535-byte
 * chunks, so most chunks straddle two reads and ByteQueue has to join them.
 */
function addOpenSplitReads(): void {
  const size = 64 * 1024;
  const count = 8;
  const run = wireReplay(size, count, READ_SIZE);
  add({ name: `open ${sizeLabel(size)}, 64 KiB reads`, kind: 'open', bodySize: size, messagesPerOp: count }, run);
}

function addSecretboxOpen(size: number): void {
  const plain = randomBytes(size);
  const cipher = Buffer.alloc(size);
  const out = Buffer.alloc(size);
  const tag = Buffer.alloc(16);
  sodium.crypto_secretbox_detached(cipher, tag, plain, nonce, key);
  add({ name: `secretbox open ${sizeLabel(size)}`, kind: 'secretbox open', bodySize: size, messagesPerOp: 1 }, () => {
    // Not in place, so the same ciphertext verifies every time.
    if (!sodium.crypto_secretbox_open_detached(out, cipher, tag, nonce, key)) throw new Error('secretbox open failed');
  });
}

// ------------------------------------------------------------------ framing alone

/**
 * Chunk plaintexts (views into one buffer, as decrypted reads are) for `count` messages of
 * `bodySize`: cut per message like the OCaml writer (every message starts a chunk), or packed
 * back to back into chunks of `chunkContentSize` (what other writers may send).
 */
function plainChunks(bodySize: number, count: number, chunkContentSize: number, packed: boolean): Buffer[] {
  const streamLength = bodySize + MESSAGE_PREFIX_LENGTH;
  const stream = Buffer.allocUnsafeSlow(streamLength * count);
  for (let i = 0; i < count; i++) {
    stream.writeUInt32BE(bodySize, i * streamLength);
    randomBytes(bodySize).copy(stream, i * streamLength + MESSAGE_PREFIX_LENGTH);
  }
  const chunks: Buffer[] = [];
  const cut = (from: number, to: number): void => {
    for (let at = from; at < to; at += chunkContentSize) chunks.push(stream.subarray(at, Math.min(at + chunkContentSize, to)));
  };
  if (packed) cut(0, stream.length);
  else for (let i = 0; i < count; i++) cut(i * streamLength, (i + 1) * streamLength);
  return chunks;
}

function addFrame(name: string, bodySize: number, count: number, chunkContentSize: number, packed: boolean): void {
  const chunks = plainChunks(bodySize, count, chunkContentSize, packed);
  const framer = new MessageFramer(MAX_MESSAGE);
  let messages = 0;
  let bytes = 0;
  const emit = (message: FramedMessage): void => {
    messages++;
    bytes += message.body.length;
  };
  const run = (): void => {
    for (const chunk of chunks) framer.push(chunk, emit);
  };
  run();
  check(messages === count && bytes === count * bodySize && framer.pendingBytes === 0, `${name}: ${messages}/${count} messages`);
  add({ name, kind: 'frame', bodySize, messagesPerOp: count }, run);
}

// ------------------------------------------------------------------ memory reference

/**
 * What a fresh 64 KiB buffer costs next to a reused one: the encode, join and concat steps above
 * each fill a newly allocated buffer, which is cold in cache and feeds the GC.
 */
function addMemoryReference(): void {
  const size = 64 * 1024;
  const source = randomBytes(size);
  const reused = Buffer.allocUnsafeSlow(size);
  add({ name: 'copy 64 KiB into a reused buffer', kind: 'memory', bodySize: size, messagesPerOp: 1 }, () => {
    reused.set(source);
  });
  add({ name: 'copy 64 KiB into a fresh buffer', kind: 'memory', bodySize: size, messagesPerOp: 1 }, () => {
    const fresh = Buffer.allocUnsafeSlow(size);
    fresh.set(source);
    sink ^= fresh.length;
  });
}

// ------------------------------------------------------------------ suite

for (const size of SIZES) addEncode(size);
for (const size of SIZES) addSeal(size);
addSeal(ONE_CHUNK_BODY);
for (const size of SIZES) addSecretboxSeal(size);
for (const size of SIZES) addOpen(size);
addOpen(ONE_CHUNK_BODY);
addOpenSplitReads();
for (const size of SIZES) addSecretboxOpen(size);
addFrame('frame 64 KiB, 2 chunks', 64 * 1024, 1, MAX_CHUNK_CONTENT, false);
addFrame('frame 100 B, 1 per chunk', 100, 537, MAX_CHUNK_CONTENT, false);
// protocol.md §9.3's example: 260 stream bytes at binaryChunksSize 21 are 87 chunks of ≤ 3 bytes.
addFrame('frame 256 B at binaryChunksSize 21', 256, 1, checkBinaryChunksSize(21), false);
addFrame('frame 100 B, 629 per chunk', 100, Math.floor(MAX_CHUNK_CONTENT / 104), MAX_CHUNK_CONTENT, true);
// A 2-byte body is a Bootstrap message (u16 tag): 6 stream bytes, 10919 to a full chunk.
addFrame('frame 2 B, 10919 per chunk', 2, Math.floor(MAX_CHUNK_CONTENT / 6), MAX_CHUNK_CONTENT, true);
addMemoryReference();

interface Row {
  readonly info: CaseInfo;
  /** benchmark.js ops/s; an op handles `info.messagesPerOp` messages. */
  readonly hz: number;
  readonly messagesPerSecond: number;
  readonly mbPerSecond: number;
  readonly rme: number;
  readonly samples: number;
}

const rows: Row[] = [];
let failed = false;

suite.on('cycle', (event: Benchmark.Event) => {
  console.log(String(event.target));
  const target = event.target;
  const info = cases.get(target.name)!;
  if (target.error !== undefined || target.aborted) {
    failed = true;
    console.error(`  failed: ${String(target.error)}`);
    return;
  }
  const messagesPerSecond = target.hz * info.messagesPerOp;
  rows.push({
    info,
    hz: target.hz,
    messagesPerSecond,
    mbPerSecond: (messagesPerSecond * info.bodySize) / MB,
    rme: target.stats.rme,
    samples: target.stats.sample.length,
  });
});

console.log(`chunk-codec: node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, ${QUICK ? 'quick' : 'full'} run`);
suite.run({ async: false });

const find = (name: string): Row | undefined => rows.find((r) => r.info.name === name);
/** The raw secretbox row a codec row is compared with. */
function ceilingOf(row: Row): Row | undefined {
  // 65513 B is compared with the 64 KiB ceiling: within 0.04 % of the same size.
  const size = sizeLabel(row.info.bodySize === ONE_CHUNK_BODY ? 64 * 1024 : row.info.bodySize);
  if (row.info.kind === 'seal') return find(`secretbox seal ${size}`);
  if (row.info.kind === 'open') return find(`secretbox open ${size}`);
  return undefined;
}

console.table(
  rows.map((row) => {
    const ceiling = ceilingOf(row);
    return {
      case: row.info.name,
      'ops/s': grouped(row.hz),
      'msgs/op': row.info.messagesPerOp,
      'msgs/s': grouped(row.messagesPerSecond),
      'MB/s': row.mbPerSecond.toFixed(1),
      '±%': row.rme.toFixed(2),
      samples: row.samples,
      'vs secretbox': ceiling ? `${((100 * row.mbPerSecond) / ceiling.mbPerSecond).toFixed(0)}%` : '',
    };
  }),
);

const ratio = (a: Row | undefined, b: Row | undefined): number | null => (a && b ? round(a.mbPerSecond / b.mbPerSecond, 3) : null);
const mbps = (name: string): number | null => {
  const row = find(name);
  return row ? round(row.mbPerSecond, 1) : null;
};
const summary = {
  suite: 'chunk-codec',
  unit: 'MB/s = 1e6 message-body bytes per second',
  node: process.version,
  seal_64KiB_mbps: mbps('seal 64 KiB'),
  open_64KiB_mbps: mbps('open 64 KiB'),
  open_64KiB_split_reads_mbps: mbps('open 64 KiB, 64 KiB reads'),
  open_65513B_one_chunk_mbps: mbps(`open ${sizeLabel(ONE_CHUNK_BODY)}`),
  secretbox_seal_64KiB_mbps: mbps('secretbox seal 64 KiB'),
  secretbox_open_64KiB_mbps: mbps('secretbox open 64 KiB'),
  seal_over_secretbox_64KiB: ratio(find('seal 64 KiB'), find('secretbox seal 64 KiB')),
  open_over_secretbox_open_64KiB: ratio(find('open 64 KiB'), find('secretbox open 64 KiB')),
  cases: Object.fromEntries(
    rows.map((row) => [
      row.info.name,
      { ops_per_s: Math.round(row.hz), msgs_per_s: Math.round(row.messagesPerSecond), mb_per_s: round(row.mbPerSecond, 1), rme_pct: round(row.rme, 2) },
    ]),
  ),
};
if (sink === 0.5) console.log(''); // keeps `sink` observable
if (failed) process.exitCode = 1;
console.log(JSON.stringify(summary));
