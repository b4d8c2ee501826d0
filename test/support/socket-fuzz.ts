/**
 * The socket-level fuzzer: fast-check peer behaviours played over real loopback
 * sockets against `authenticate` + `accept`, or against a Pool. The property: every session ends
 * in a typed error (or success) within its deadline, the server's socket is closed, nothing
 * escapes into the event loop, and the server still serves an honest peer afterwards.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { authenticate } from '../../src/main/authenticate.ts';
import type { Pool } from '../../src/main/pool.ts';
import { P2pError } from '../../src/shared/errors.ts';
import { closedWithin, escapedErrors, handshakeOptions, loopback, makeIdentity, rawClient } from './fixtures.ts';
import { behaviourArbitrary, playBehaviour, type Behaviour } from './peer-behaviour.ts';
import { echo, makePool } from './pools.ts';

export type FuzzTarget = 'authenticate' | 'inline' | 'sharded';

export interface SocketFuzzOptions {
  readonly target: FuzzTarget;
  /** fast-check runs; each plays `parallel` sessions at once. */
  readonly numRuns: number;
  readonly parallel: number;
  readonly seed: number;
  /** Server handshake (and accept) timeout, ms: the deadline the property holds the server to. */
  readonly timeoutMs: number;
  /**
   * The deadline the server is really given (default `timeoutMs`). A larger one plays a server
   * that ignores its deadline, which the property must catch (test/hostile-socket-fuzz.test.ts).
   */
  readonly serverTimeoutMs?: number;
  /** Batches played before the random ones (fast-check `examples`), so a case is always tried. */
  readonly examples?: ReadonlyArray<readonly Behaviour[]>;
}

export interface SocketFuzzResult {
  readonly sessions: number;
  /** Error codes the server side ended sessions with. */
  readonly outcomes: Record<string, number>;
  readonly ms: number;
}

const client = makeIdentity(1);

/** Runs the fuzzer; throws (with fast-check's seed and path) when the property fails. */
export async function runSocketFuzz(options: SocketFuzzOptions): Promise<SocketFuzzResult> {
  const started = Date.now();
  const outcomes: Record<string, number> = {};
  let sessions = 0;
  const count = (code: string): void => void (outcomes[code] = (outcomes[code] ?? 0) + 1);
  const batch = fc.array(behaviourArbitrary, { minLength: options.parallel, maxLength: options.parallel });
  // Past every server deadline (authenticate then accept: 2 × timeoutMs) with room for a late
  // timer: a holding peer still open then is one the server chose to keep, i.e. established.
  const holdMs = 2 * options.timeoutMs + 1000;
  const serverTimeoutMs = options.serverTimeoutMs ?? options.timeoutMs;
  // A session that has not ended by then is a hang: the server's deadlines failed.
  const sessionBound = 2 * options.timeoutMs + holdMs + 3000;

  if (options.target === 'authenticate') {
    const lb = await loopback();
    const server = makeIdentity(1);
    try {
      const escaped = await escapedErrors(() =>
        fc.assert(
          fc.asyncProperty(batch, async (behaviours) => {
            await Promise.all(
              behaviours.map(async (behaviour) => {
                const peer = await rawClient(lb.port);
                const socket = await lb.accepted();
                let established = false;
                const serve = (async (): Promise<unknown> => {
                  try {
                    const auth = await authenticate(socket, { ...handshakeOptions(server), incoming: true, timeout: serverTimeoutMs });
                    const conn = await auth.accept({ timeout: serverTimeoutMs });
                    established = true;
                    for (;;) await conn.read();
                  } catch (error) {
                    return error;
                  }
                })();
                const [error, forced] = await bounded(Promise.all([serve, playBehaviour(peer, client, behaviour, holdMs)]), sessionBound);
                assert.ok(error instanceof P2pError, `untyped server-side failure: ${String(error)}`);
                assert.ok(!forced || established, `the server kept a socket it never established open for ${holdMs} ms (its deadline is ${options.timeoutMs} ms per step)`);
                count(error.code);
                await closedWithin(socket, 3000);
                sessions++;
              }),
            );
          }),
          { numRuns: options.numRuns, seed: options.seed, endOnFailure: true, examples: examplesOf(options) },
        ),
      );
      assert.deepEqual(escaped, []);
    } finally {
      await lb.close();
    }
    return { sessions, outcomes, ms: Date.now() - started };
  }

  // Greylisting off: every session comes from 127.0.0.1, and each must reach the handshake.
  const pool = makePool(options.target === 'inline' ? 0 : 2, { handshakeTimeout: serverTimeoutMs, greylistMs: 0 });
  const honest = makePool(0);
  echo(pool);
  // The peer ports of the connections the pool established: a held socket may outlive the
  // handshake deadline only if its own connection is one of them (counting connections per batch
  // let an established peer that ended cover for a stuck one that held, with some seeds).
  const establishedPorts = new Set<number>();
  pool.on('connection', (conn) => establishedPorts.add(conn.info.remoteSocketPort));
  try {
    const { port } = await pool.listen();
    let runs = 0;
    const escaped = await escapedErrors(async () => {
      await fc.assert(
        fc.asyncProperty(batch, async (behaviours) => {
          const played = await bounded(
            Promise.all(
              behaviours.map(async (behaviour) => {
                const peer = await rawClient(port);
                const localPort = peer.localPort ?? -1;
                return { localPort, forced: await playBehaviour(peer, client, behaviour, holdMs) };
              }),
            ),
            sessionBound,
          );
          sessions += behaviours.length;
          // Only an established connection may outlast the handshake deadline: every peer that had
          // to close its held socket itself must be one the pool established.
          const kept = played.filter(({ forced, localPort }) => forced && !establishedPorts.has(localPort)).length;
          assert.ok(kept === 0, `${kept} held sockets outlived the ${options.timeoutMs} ms handshake deadline without being established`);
          // Every socket of the batch is closed on the server side too: nothing in flight, nothing established.
          await until(() => pool.stats().handshakesInFlight === 0 && pool.size === 0, 3000, () => `pool still holds ${JSON.stringify(pool.stats())}`);
          if (++runs % 25 === 0) await stillServing(pool, honest, port);
        }),
        { numRuns: options.numRuns, seed: options.seed, endOnFailure: true, examples: examplesOf(options) },
      );
      await stillServing(pool, honest, port);
    });
    assert.deepEqual(escaped, []);
    Object.assign(outcomes, pool.stats().errors);
    // A failure inside a shard's session code surfaces as SHARD_FAILED: it must not happen.
    assert.equal(outcomes['SHARD_FAILED'], undefined, JSON.stringify(outcomes));
  } finally {
    await honest.close();
    await pool.close();
  }
  return { sessions, outcomes, ms: Date.now() - started };
}

async function stillServing(pool: Pool<Uint8Array, undefined>, honest: Pool<Uint8Array, undefined>, port: number): Promise<void> {
  const conn = await honest.connect({ host: '127.0.0.1', port });
  await conn.write(Buffer.from('ping'));
  assert.equal(Buffer.from((await conn.read({ signal: AbortSignal.timeout(5000) })).message).toString(), 'ping');
  await conn.close();
  await until(() => pool.size === 0, 3000, () => 'honest connection not released');
}

async function bounded<T>(operation: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`session still running after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([operation, expired]);
  } finally {
    clearTimeout(timer);
  }
}

async function until(condition: () => boolean, ms: number, describe: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(describe());
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** `options.examples` as fast-check takes them: one tuple (the batch) per example. */
function examplesOf(options: SocketFuzzOptions): Array<[Behaviour[]]> {
  return (options.examples ?? []).map((batch) => [[...batch]]);
}
