/**
 * Receiver CPU per message over loopback: one connection, 64 KiB messages one way, a sender
 * process (`connect`, `await conn.write` in a loop) and a receiver process holding a `Pool`
 * (inline `--workers=0` or sharded `--workers=2`) whose application reads every message. The
 * number is the receiver process's user + system CPU over the measured window (all its threads:
 * main and shards) divided by the messages read in it, in µs per message; MB/s of payload beside.
 * It is the measure of the receive path's cost (borrowed reads: src/shared/session/borrowed-reads.ts).
 *
 * To compare source trees (a base and a change), give them with `--trees=DIR,DIR…`: each tree's
 * own copy of this file runs the receiver, rounds alternate between trees, the sender is always
 * this file's. Each tree needs this file at bench/receiver-cpu.ts and a node_modules.
 *
 * Run:  ./node_modules/.bin/node bench/receiver-cpu.ts [--workers=0] [--seconds=3] [--warmup=1]
 *         [--repeats=5] [--message-size=65536] [--trees=/path/base,/path/change]
 * Last line: one JSON object, per tree the median and min–max of µs per message and MB/s.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { resolve as resolvePath } from 'node:path';
import { bytesCodec, connect, emptyMetadataConfig, identityFromKeys, Pool, SANDBOXED_MAVRYK, type Identity } from '../src/main/index.ts';
import { announcedVersion, generateKeyPair, nodeLocalVersions } from '../src/wire/index.ts';
import { argValue, Child, countArg, formatSpread, numberArg, round, spread } from './common.ts';

const SELF = fileURLToPath(import.meta.url);
const argv = process.argv.slice(2);
const SECONDS = numberArg(argv, 'seconds', 3);
const WARMUP = numberArg(argv, 'warmup', 1);
const REPEATS = Math.max(1, countArg(argv, 'repeats', 5));
const WORKERS = countArg(argv, 'workers', 0);
const MESSAGE_SIZE = Math.round(numberArg(argv, 'message-size', 64 * 1024));

type ChildMessage =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'result'; readonly usPerMessage: number; readonly mbps: number; readonly messages: number }
  | { readonly type: 'sent' }
  | { readonly type: 'error'; readonly message: string };

function report(message: ChildMessage): void {
  process.send?.(message);
}

function identity(): Identity {
  return identityFromKeys(generateKeyPair().secretKey, randomBytes(24));
}

async function runReceiver(): Promise<void> {
  const pool = new Pool<Uint8Array, undefined>({ identity: identity(), chainName: 'SANDBOXED_MAVRYK', metadata: emptyMetadataConfig, proofOfWorkDifficulty: 0, workers: WORKERS });
  const done = new Promise<ChildMessage>((resolve, reject) => {
    pool.on('connection', (conn) => {
      void (async () => {
        let first = -1;
        let start = -1;
        let startCpu: NodeJS.CpuUsage | undefined;
        let last = -1;
        let lastCpu: NodeJS.CpuUsage | undefined;
        let messages = 0;
        let bytes = 0;
        for (;;) {
          let size: number;
          try {
            size = (await conn.read()).message.length;
          } catch (error) {
            if ((error as { code?: unknown }).code === 'CONNECTION_CLOSED') break;
            throw error;
          }
          const now = performance.now();
          if (start >= 0) {
            messages++;
            bytes += size;
            last = now;
            if (messages % 64 === 0) lastCpu = process.cpuUsage(startCpu);
          } else if (first < 0) first = now;
          else if (now - first >= WARMUP * 1000) {
            start = now;
            startCpu = process.cpuUsage();
          }
        }
        if (lastCpu === undefined || messages < 64) throw new Error(`only ${messages} messages measured`);
        // CPU up to the last sample (every 64th message), so the idle tail after the sender stops is not counted.
        const counted = messages - (messages % 64);
        const ms = last - start;
        resolve({ type: 'result', usPerMessage: (lastCpu.user + lastCpu.system) / counted, mbps: bytes / 1e6 / (ms / 1000), messages });
      })().catch(reject);
    });
  });
  const { port } = await pool.listen({ host: '127.0.0.1', port: 0 });
  report({ type: 'listening', port });
  report(await done);
  await pool.close();
}

async function runSender(port: number): Promise<void> {
  const payload = randomBytes(MESSAGE_SIZE);
  const auth = await connect('127.0.0.1', port, {
    identity: identity(),
    announcedVersion: announcedVersion(nodeLocalVersions(SANDBOXED_MAVRYK)),
    metadata: emptyMetadataConfig,
    proofOfWorkDifficulty: 0,
    timeout: 10_000,
  });
  const conn = await auth.accept({ codec: bytesCodec });
  const started = performance.now();
  while (performance.now() - started < (WARMUP + SECONDS) * 1000) await conn.write(payload);
  await conn.close({ wait: true });
  report({ type: 'sent' });
}

async function childMain(role: string): Promise<void> {
  const limit = setTimeout(() => process.exit(2), (WARMUP + SECONDS + 60) * 1000);
  limit.unref();
  try {
    if (role === 'receiver') await runReceiver();
    else await runSender(Number(argValue(argv, 'port')));
  } catch (error) {
    report({ type: 'error', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
  process.disconnect?.();
}

async function runOnce(script: string): Promise<{ usPerMessage: number; mbps: number }> {
  const common = [`--workers=${WORKERS}`, `--seconds=${SECONDS}`, `--warmup=${WARMUP}`, `--message-size=${MESSAGE_SIZE}`];
  const receiver = new Child<ChildMessage>('receiver', process.execPath, [script, '--role=receiver', ...common]);
  const { port } = await receiver.expect('listening', 20_000);
  const sender = new Child<ChildMessage>('sender', process.execPath, [SELF, '--role=sender', `--port=${port}`, ...common]);
  const result = await receiver.expect('result', (WARMUP + SECONDS + 30) * 1000);
  await sender.expect('sent', 30_000);
  await Promise.all([receiver.finish(10_000), sender.finish(10_000)]);
  return result;
}

async function main(): Promise<void> {
  const trees = (argValue(argv, 'trees') ?? resolvePath(SELF, '../..')).split(',').map((tree) => resolvePath(tree));
  const results = trees.map(() => ({ us: [] as number[], mbps: [] as number[] }));
  console.log(`receiver CPU per ${MESSAGE_SIZE}-byte message, workers: ${WORKERS}, ${SECONDS} s after ${WARMUP} s warm-up, ${REPEATS} rounds`);
  for (let round_ = 0; round_ < REPEATS; round_++) {
    for (let t = 0; t < trees.length; t++) {
      const { usPerMessage, mbps } = await runOnce(resolvePath(trees[t]!, 'bench/receiver-cpu.ts'));
      results[t]!.us.push(usPerMessage);
      results[t]!.mbps.push(mbps);
      console.log(`  round ${round_ + 1} ${trees[t]}: ${round(usPerMessage, 1)} µs/message, ${round(mbps, 0)} MB/s`);
    }
  }
  const summary: Record<string, unknown> = {};
  for (let t = 0; t < trees.length; t++) {
    const us = spread(results[t]!.us);
    const mbps = spread(results[t]!.mbps);
    console.log(`${trees[t]}: ${formatSpread(us, 1)} µs/message, ${formatSpread(mbps, 0)} MB/s`);
    summary[trees[t]!] = { us_per_message: us, mbps };
  }
  console.log(JSON.stringify({ workers: WORKERS, message_size: MESSAGE_SIZE, seconds: SECONDS, repeats: REPEATS, trees: summary }));
}

const role = argValue(argv, 'role');
if (role === 'sender' || role === 'receiver') await childMain(role);
else await main();
