/**
 * The established data path under mixed, unusual timing, over real loopback sockets in both pool
 * modes from this one file (fast-check, bounded runs): several connections at once carry messages
 * of 0 to ~200 KiB (chunk boundaries included) written by `write`, `writeNow`, `writeSync`,
 * `encode` + `writeEncodedNow` and `pool.broadcast`, read by `read`, `readNow`, `readLent` and
 * `readLentNow` chosen per read, with random delays before reads and before lent bodies are given
 * back (explicitly or by the next lent read), floods of tiny writes and main turns that run long
 * (a shard's ring pump busy while main's doorbell and transferred layouts wait), and closes in
 * the middle (graceful, reset, by the reader). Checked: every body delivered is byte-exact and in order (all of them when the sender
 * closed gracefully), a lent body's bytes stay as they were until it is given back, nothing
 * escapes into the event loop, nothing hangs (every wait has a deadline), and afterwards the
 * pending-message budget, the outgoing queues and the pools' connections are back to 0, and the
 * wire totals of each gracefully closed connection agree on both ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import type { Connection } from '../src/main/connection.ts';
import type { LentMessage } from '../src/main/lent-message.ts';
import type { Pool } from '../src/main/pool.ts';
import { MAX_CHUNK_CONTENT } from '../src/shared/session/chunk-layout.ts';
import { MESSAGE_PREFIX_LENGTH } from '../src/shared/session/encoded-message.ts';
import { eventually } from './support/budget-attackers.ts';
import { within } from './support/connected-pair.ts';
import { escapedErrors } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';

type Conn = Connection<Uint8Array, undefined>;
type BytesPool = Pool<Uint8Array, undefined>;

/** A bound on any one wait, generous for a loaded 2-core machine. */
const STEP_MS = 20_000;
const KiB = 1024;

/** Body sizes whose stream (prefix + body) ends exactly at, or one byte past, 1, 2 and 3 chunks. */
const BOUNDARY_SIZES = [1, 2, 3].flatMap((chunks) => {
  const stream = chunks * MAX_CHUNK_CONTENT;
  return [stream - MESSAGE_PREFIX_LENGTH - 1, stream - MESSAGE_PREFIX_LENGTH, stream - MESSAGE_PREFIX_LENGTH + 1, stream, stream + 1];
});

const sizeArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 300 }) },
  { weight: 2, arbitrary: fc.constantFrom(4095, 4096, 4097, 16_383, 16_384, ...BOUNDARY_SIZES) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 200 * KiB }) },
);

type WriteMethod = 'write' | 'writeNow' | 'writeSync' | 'encoded';
type Op =
  | { readonly kind: 'write'; readonly conn: number; readonly method: WriteMethod; readonly size: number }
  | { readonly kind: 'broadcast'; readonly mask: number; readonly size: number }
  | { readonly kind: 'pause'; readonly ms: number }
  /** Many tiny `writeNow`s in one turn: a shard's ring pump stays busy with them for a while. */
  | { readonly kind: 'flood'; readonly conn: number; readonly count: number }
  /** Holds this thread's loop: a turn that runs long (its doorbell, and any transferred layout, go late). */
  | { readonly kind: 'block'; readonly ms: number }
  | { readonly kind: 'close'; readonly conn: number; readonly how: 'wait' | 'reset' | 'receiver' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('write' as const), conn: fc.nat(7), method: fc.constantFrom<WriteMethod>('write', 'writeNow', 'writeSync', 'encoded'), size: sizeArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('broadcast' as const), mask: fc.integer({ min: 1, max: 15 }), size: sizeArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('flood' as const), conn: fc.nat(7), count: fc.integer({ min: 100, max: 1500 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('block' as const), ms: fc.integer({ min: 1, max: 60 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('close' as const), conn: fc.nat(7), how: fc.constantFrom('wait' as const, 'reset' as const, 'receiver' as const) }) },
);

type ReadMode = 'read' | 'readNow' | 'readLent' | 'readLentNow';
interface ReadStep {
  readonly mode: ReadMode;
  /** Milliseconds before the read (mostly none). */
  readonly delay: number;
  /** A lent body: given back by `release()` after `holdMs`, or by the next lent read. */
  readonly giveBack: 'explicit' | 'implicit';
  readonly holdMs: number;
}

const delayArb = fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 8 }) });
const readStepArb: fc.Arbitrary<ReadStep> = fc.record({
  mode: fc.constantFrom<ReadMode>('read', 'readNow', 'readLent', 'readLentNow'),
  delay: delayArb,
  giveBack: fc.constantFrom('explicit' as const, 'implicit' as const),
  holdMs: delayArb,
});

const scenarioArb = fc.record({
  connections: fc.integer({ min: 2, max: 4 }),
  /** The server's connections send (their pool broadcasts), else the client's. */
  serverSends: fc.boolean(),
  ops: fc.array(opArb, { minLength: 10, maxLength: 40, size: 'max' }),
  readers: fc.array(fc.array(readStepArb, { minLength: 1, maxLength: 12, size: 'max' }), { minLength: 4, maxLength: 4 }),
});

/** Distinct bytes for every message of the test: a body shown for another message differs. */
let messageSeed = 0;
function nextBody(size: number): Buffer {
  const seed = ++messageSeed;
  const bytes = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 131 + (i >>> 8) * 7 + seed * 29 + (i >>> 16) * 3) & 0xff;
  return bytes;
}

/** One connection's two ends and what went through it. */
interface Lane {
  readonly sender: Conn;
  readonly receiver: Conn;
  /** Bodies the sender queued, in order (a prefix of them arrives when the connection is cut). */
  readonly sent: Buffer[];
  /** Copies of the bodies the receiver got, in order. */
  readonly delivered: Buffer[];
  /** The sender closed it gracefully and the receiver did not close: every body sent must arrive. */
  complete: boolean;
  /** The sender closed it (no more writes), or the receiver did. */
  closed: boolean;
  /** What ended the receiver's reading: an error code other than CONNECTION_CLOSED is a defect. */
  endCode: string | undefined;
  /** Lent bodies whose bytes changed while lent. */
  readonly changedWhileLent: string[];
}

/** `count` connections from `client` to `server` (already listening on `port`): [server side, client side]. */
async function connectLanes(server: BytesPool, client: BytesPool, port: number, count: number): Promise<Array<[Conn, Conn]>> {
  const pairs: Array<[Conn, Conn]> = [];
  for (let i = 0; i < count; i++) {
    const accepted = once(server, 'connection') as Promise<[Conn]>;
    const clientSide = await within(client.connect({ host: '127.0.0.1', port }), STEP_MS, `connect ${i}`);
    const [serverSide] = await within(accepted, STEP_MS, `accept ${i}`);
    pairs.push([serverSide, clientSide]);
  }
  return pairs;
}

function codeOf(error: unknown): string {
  return (error as { code?: string }).code ?? String(error);
}

/** Reads `lane` with the read modes of `plan` in turn until the connection ends. */
async function receive(lane: Lane, plan: readonly ReadStep[], deadline: number): Promise<void> {
  const conn = lane.receiver;
  let held: { lent: LentMessage; copy: Buffer; index: number } | undefined;
  const stillSame = (what: string): void => {
    if (held === undefined) return;
    if (!held.lent.lent) lane.changedWhileLent.push(`body ${held.index} given back without a release or a lent read ${what}`);
    else if (!held.lent.body.equals(held.copy)) lane.changedWhileLent.push(`body ${held.index} ${what}`);
  };
  for (let step = 0; ; step++) {
    if (Date.now() > deadline) throw new Error(`reader still running after its deadline (${lane.delivered.length} delivered)`);
    const { mode, delay, giveBack, holdMs } = plan[step % plan.length]!;
    if (delay > 0) await sleep(delay);
    stillSame('before a read');
    let body: Buffer | undefined;
    let lent: LentMessage | undefined;
    try {
      if (mode === 'read') body = Buffer.from((await within(conn.read(), STEP_MS, 'read')).message);
      else if (mode === 'readNow') {
        const received = conn.readNow();
        if (received === undefined) {
          await sleep(1);
          continue;
        }
        body = Buffer.from(received.message);
      } else {
        // The next lent read gives the held body back: it must not have changed up to here.
        stillSame('before the next lent read');
        lent = mode === 'readLent' ? await within(conn.readLent(), STEP_MS, 'readLent') : conn.readLentNow();
        if (held !== undefined && held.lent.lent) lane.changedWhileLent.push(`body ${held.index} still lent after the next lent read`);
        held = undefined;
        if (lent === undefined) {
          await sleep(1);
          continue;
        }
      }
    } catch (error) {
      lane.endCode = codeOf(error);
      // A failed lent read gave the held body back too; a failed plain read left it lent.
      if (mode === 'readLent' || mode === 'readLentNow') held = undefined;
      stillSame('at the end');
      return;
    }
    if (lent !== undefined) {
      const copy = Buffer.from(lent.body);
      if (lent.size !== copy.length + MESSAGE_PREFIX_LENGTH) lane.changedWhileLent.push(`body ${lane.delivered.length}: size ${lent.size} for ${copy.length} bytes`);
      held = { lent, copy, index: lane.delivered.length };
      lane.delivered.push(copy);
      if (giveBack === 'explicit') {
        if (holdMs > 0) await sleep(holdMs);
        stillSame('before release');
        lent.release();
        held = undefined;
      }
    } else lane.delivered.push(body!);
  }
}

/** Runs one scenario's writes, broadcasts, pauses and closes on the sending ends. */
async function send(pool: BytesPool, lanes: Lane[], ops: readonly Op[]): Promise<void> {
  for (const op of ops) {
    if (op.kind === 'pause') {
      await sleep(op.ms);
      continue;
    }
    if (op.kind === 'block') {
      const until = Date.now() + op.ms;
      while (Date.now() < until) {
        // the turn runs long
      }
      continue;
    }
    if (op.kind === 'broadcast') {
      const targets = lanes.filter((lane, i) => (op.mask & (1 << i)) !== 0 && !lane.closed && !lane.sender.closed);
      if (targets.length === 0) continue;
      const body = nextBody(op.size);
      const result = pool.broadcast(body, targets.map((lane) => lane.sender));
      // The outgoing bound is far above what a run sends: every open target takes it, unless its
      // peer's close has reached it meanwhile (then only a prefix of what was sent counts).
      if (result.dropped === 0) for (const lane of targets) lane.sent.push(body);
      else {
        assert.ok(targets.some((lane) => lane.sender.closed), `broadcast dropped ${result.dropped} of ${targets.length} with every target open`);
        for (const lane of targets) if (!lane.sender.closed) lane.sent.push(body);
      }
      continue;
    }
    const lane = lanes[op.conn % lanes.length]!;
    if (lane.closed) continue;
    if (op.kind === 'close') {
      lane.closed = true;
      if (op.how === 'wait') {
        await within(lane.sender.close({ wait: true }), STEP_MS, 'close with wait');
        lane.complete = true;
      } else if (op.how === 'reset') await within(lane.sender.close(), STEP_MS, 'close');
      else await within(lane.receiver.close(), STEP_MS, 'receiver close');
      continue;
    }
    const conn = lane.sender;
    if (op.kind === 'flood') {
      for (let i = 0; i < op.count && !conn.closed; i++) {
        const body = nextBody(i % 7);
        lane.sent.push(body);
        assert.ok(conn.writeNow(body), 'a tiny writeNow refused with room');
      }
      continue;
    }
    const body = nextBody(op.size);
    lane.sent.push(body);
    try {
      if (op.method === 'write') await within(conn.write(body), STEP_MS, 'write');
      else if (op.method === 'writeSync') await within(conn.writeSync(body), STEP_MS, 'writeSync');
      else {
        const queued = op.method === 'writeNow' ? conn.writeNow(body) : conn.writeEncodedNow(conn.encode(body));
        assert.ok(queued || conn.closed, `${op.method} of ${op.size} bytes refused with room`);
      }
    } catch (error) {
      // Only a connection whose reader closed it may refuse a write.
      assert.equal(codeOf(error), 'CONNECTION_CLOSED', `${op.method}: ${String(error)}`);
      assert.ok(conn.closed, `${op.method} failed on an open connection`);
    }
  }
}

function checkLane(lane: Lane, index: number): void {
  const label = `connection ${index}`;
  assert.deepEqual(lane.changedWhileLent, [], `${label}: lent bodies changed while lent`);
  assert.equal(lane.endCode, 'CONNECTION_CLOSED', `${label}: the reader ended with ${lane.endCode}`);
  assert.ok(lane.delivered.length <= lane.sent.length, `${label}: ${lane.delivered.length} delivered of ${lane.sent.length} sent`);
  for (let i = 0; i < lane.delivered.length; i++) {
    const got = lane.delivered[i]!;
    const want = lane.sent[i]!;
    if (!got.equals(want)) {
      const at = got.findIndex((byte, k) => byte !== want[k]);
      assert.fail(`${label}: body ${i} of ${want.length} bytes arrived as ${got.length} bytes, first difference at ${at}`);
    }
  }
  if (lane.complete) assert.equal(lane.delivered.length, lane.sent.length, `${label}: closed gracefully, every body arrives`);
}

for (const { name, workers } of MODES) {
  test(`${name}: mixed writes, broadcasts, read modes, delays and closes deliver every body byte-exact and in order, and every counter returns to 0`, async () => {
    const options = {
      allowDuplicatePeers: true,
      maxConnections: 100,
      maxPendingMessageBytes: 32 * 1024 * KiB,
      // A small incoming bound: readers fall behind and sockets pause in the middle of reads.
      accept: { incomingMessageQueueSize: 256 * KiB, outgoingMessageQueueSize: 64 * 1024 * KiB },
    };
    const server = makePool(workers, options);
    const client = makePool(workers, options);
    const escaped = await escapedErrors(async () => {
      try {
        const { port } = await server.listen();
        await fc.assert(
          fc.asyncProperty(scenarioArb, async ({ connections, serverSends, ops, readers }) => {
            const pairs = await connectLanes(server, client, port, connections);
            const lanes: Lane[] = pairs.map(([serverSide, clientSide]) => ({
              sender: serverSends ? serverSide : clientSide,
              receiver: serverSends ? clientSide : serverSide,
              sent: [],
              delivered: [],
              complete: false,
              closed: false,
              endCode: undefined,
              changedWhileLent: [],
            }));
            const deadline = Date.now() + 3 * STEP_MS;
            const reading = lanes.map((lane, i) => receive(lane, readers[i]!, deadline));
            try {
              await send(serverSends ? server : client, lanes, ops);
              for (const lane of lanes) {
                if (lane.closed) continue;
                lane.closed = true;
                lane.complete = true;
                await within(lane.sender.close({ wait: true }), STEP_MS, 'final close with wait');
              }
            } finally {
              await within(Promise.allSettled(reading), 3 * STEP_MS, 'readers');
            }
            for (const outcome of await Promise.all(reading.map((r) => r.then(() => undefined, (error: unknown) => error)))) if (outcome !== undefined) throw outcome;
            lanes.forEach(checkLane);
            for (const [i, lane] of lanes.entries()) {
              await within(lane.sender.ended, STEP_MS, `sender ${i} ended`);
              await within(lane.receiver.ended, STEP_MS, `receiver ${i} ended`);
              assert.equal(lane.sender.queuedOutgoingBytes, 0, `connection ${i}: outgoing queue after the end`);
              if (lane.complete) {
                // Sharded, the wire totals reach main with the end record: the same on both ends.
                assert.ok(
                  await eventually(() => lane.sender.stat().totalSent === lane.receiver.stat().totalRecv, 3000),
                  `connection ${i}: sent ${lane.sender.stat().totalSent} bytes, received ${lane.receiver.stat().totalRecv}`,
                );
              }
            }
            const settled = (): boolean =>
              server.stats().pendingMessageBytes === 0 && client.stats().pendingMessageBytes === 0 && server.stats().connections === 0 && client.stats().connections === 0;
            assert.ok(
              await eventually(settled, 5000),
              `after the run: pending ${server.stats().pendingMessageBytes} / ${client.stats().pendingMessageBytes} bytes, connections ${server.stats().connections} / ${client.stats().connections}`,
            );
          }),
          { numRuns: 40, interruptAfterTimeLimit: 30_000, endOnFailure: true },
        );
      } finally {
        await Promise.all([client.close(), server.close()]);
      }
    });
    assert.deepEqual(escaped, [], 'nothing escaped into the event loop');
  });
}
