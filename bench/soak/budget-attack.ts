/**
 * The soak's attack on the pending-message budget (`--budget-attackers=N`, bench/soak.ts): beside
 * the echo traffic, N connections from their own pool attack the server's
 * `maxPendingMessageBytes` the ways docs/security.md bounds, round after round: half announce a
 * message larger than the budget and send about a third of it, half hold 261,999 bytes of a
 * 262,000-byte message; each holds for a few seconds, then leaves and comes back. Meanwhile a
 * legit connection sends a 1 MiB message each second and must get its echo back. A change that
 * lets an attacker stall large messages, or keep its charge after it left, shows up as failed
 * legit echoes or as budget left after the attack.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from '../../src/main/pool.ts';
import type { Connection } from '../../src/main/connection.ts';
import { MAX_CHUNK_CONTENT } from '../../src/shared/session/chunk-layout.ts';
import { encodeStream } from '../../src/shared/session/encoded-message.ts';
import { emptyMetadataConfig } from '../../src/shared/wire/metadata.ts';
import { generateIdentityFast } from './identity.ts';

const MiB = 1024 * 1024;
/** A message larger than the default budget (64 MiB), of which about a third is sent. */
const LARGE_ANNOUNCED = 65 * MiB;
const LARGE_SENT = 24 * MiB;
/** A message one byte short of complete, under the size the budget once left unpaused. */
const SMALL_ANNOUNCED = 262_000;
const SMALL_SENT = 261_999;
/** How long an attacker holds its unfinished message before it leaves. */
const HOLD_MS = 3000;
/** The legit echo's size and how long it may take. */
const LEGIT_SIZE = MiB;
const LEGIT_TIMEOUT_MS = 10_000;

export interface BudgetAttackReport {
  readonly attackers: number;
  /** Attack rounds that connected and sent. */
  readonly rounds: number;
  /** Attacker connections the server refused or ended before the attacker left. */
  readonly attackersEnded: number;
  readonly legitSent: number;
  readonly legitServed: number;
  readonly legitFailed: number;
  /** Slowest legit 1 MiB round trip, ms. */
  readonly legitWorstMs: number;
}

/** `prefix(announced) ‖ sent body bytes`, written as stream bytes (not one whole message) while the queue takes them. */
async function sendPartOfMessage(conn: Connection<Uint8Array, undefined>, announced: number, sent: number, stop: { done: boolean }): Promise<void> {
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(announced);
  const piece = MiB;
  let done = 0;
  let first = true;
  while (done < sent && !stop.done && !conn.closed) {
    const length = Math.min(piece, sent - done);
    const bytes = first ? Buffer.concat([prefix, Buffer.alloc(length, 0x5a)]) : Buffer.alloc(length, 0x5a);
    if (conn.writeEncodedNow(encodeStream(bytes, MAX_CHUNK_CONTENT))) {
      first = false;
      done += length;
    } else {
      await sleep(20);
    }
  }
}

/** Runs the attack and the legit echo against 127.0.0.1:`port` until `stop()`; resolves with the report. */
export function startBudgetAttack(port: number, attackers: number): { stop: () => Promise<BudgetAttackReport> } {
  const pool = new Pool<Uint8Array, undefined>({
    identity: generateIdentityFast(),
    chainName: 'SOAK',
    metadata: emptyMetadataConfig,
    proofOfWorkDifficulty: 0,
    workers: 0,
    maxConnections: attackers + 10,
    connectTimeout: 30_000,
    allowDuplicatePeers: true,
  });
  const stop = { done: false };
  let rounds = 0;
  let attackersEnded = 0;
  const attacker = async (index: number): Promise<void> => {
    const large = index % 2 === 0;
    while (!stop.done) {
      try {
        const conn = await pool.connect({ host: '127.0.0.1', port });
        rounds++;
        await (large ? sendPartOfMessage(conn, LARGE_ANNOUNCED, LARGE_SENT, stop) : sendPartOfMessage(conn, SMALL_ANNOUNCED, SMALL_SENT, stop));
        await sleep(HOLD_MS);
        if (conn.closed) attackersEnded++;
        void conn.close().catch(() => undefined);
      } catch {
        attackersEnded++;
        await sleep(200);
      }
    }
  };
  const legit = { sent: 0, served: 0, failed: 0, worst: 0 };
  const legitLoop = async (): Promise<void> => {
    let conn: Connection<Uint8Array, undefined> | undefined;
    const message = Buffer.alloc(LEGIT_SIZE, 0x6c);
    while (!stop.done) {
      const started = Date.now();
      legit.sent++;
      try {
        conn ??= await pool.connect({ host: '127.0.0.1', port }, { signal: AbortSignal.timeout(LEGIT_TIMEOUT_MS) });
        await conn.write(message, { signal: AbortSignal.timeout(LEGIT_TIMEOUT_MS) });
        const { message: echoed } = await conn.read({ signal: AbortSignal.timeout(LEGIT_TIMEOUT_MS) });
        if (echoed.length !== LEGIT_SIZE) throw new Error(`echo of ${echoed.length} bytes`);
        legit.served++;
        legit.worst = Math.max(legit.worst, Date.now() - started);
      } catch {
        legit.failed++;
        void conn?.close().catch(() => undefined);
        conn = undefined;
      }
      await sleep(Math.max(0, 1000 - (Date.now() - started)));
    }
    await conn?.close().catch(() => undefined);
  };
  const running = [...Array.from({ length: attackers }, (_, i) => attacker(i)), legitLoop()];
  return {
    stop: async () => {
      stop.done = true;
      await Promise.all(running);
      await pool.close();
      return { attackers, rounds, attackersEnded, legitSent: legit.sent, legitServed: legit.served, legitFailed: legit.failed, legitWorstMs: legit.worst };
    },
  };
}
