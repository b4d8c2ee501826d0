/**
 * One connection against the pool-wide pending-message budget, over real loopback sockets in both
 * modes: a peer that announces a message larger than the budget and sends a third of it must not
 * stall other connections' large messages (the budget charged 4× the bytes it had received), nor
 * stay once it has gone (paused connections were exempt from messageTimeout, and a paused socket
 * did not see its peer leave): a legit 1 MiB message is served during and after the attack, and
 * the legit peer can reconnect. Scaled down from the 64 MiB default: a 16 MiB budget.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from '../src/main/pool.ts';
import { makeIdentity } from './support/fixtures.ts';
import { echo, makePool, MODES } from './support/pools.ts';
import { budgetAttacker, eventually } from './support/budget-attackers.ts';

const MiB = 1024 * 1024;
const BUDGET = 16 * MiB;
const attackerIdentity = makeIdentity(1);
const legitIdentity = makeIdentity(1);

function server(workers: number, messageTimeout: number): Pool<Uint8Array, undefined> {
  return makePool(workers, { maxPendingMessageBytes: BUDGET, accept: { maxMessageSize: 64 * MiB, messageTimeout } });
}

/** A legit peer's 1 MiB echo, within `ms`. */
async function legitEcho(port: number, ms: number): Promise<void> {
  const client = makePool(0, { identity: legitIdentity });
  try {
    const conn = await client.connect({ host: '127.0.0.1', port });
    const message = Buffer.alloc(MiB, 0x6c);
    await conn.write(message, { signal: AbortSignal.timeout(ms) });
    const echoed = await conn.read({ signal: AbortSignal.timeout(ms) });
    assert.equal(Buffer.compare(echoed.message, message), 0, 'the 1 MiB echo comes back whole');
    await conn.close();
  } finally {
    await client.close();
  }
}

for (const { name, workers } of MODES) {
  test(`${name}: a peer announcing more than the budget and sending a third of it neither stalls a legit 1 MiB echo nor stays after it leaves`, async (t) => {
    const pool = server(workers, 3000);
    echo(pool);
    try {
      const { port } = await pool.listen();
      const accepted = once(pool, 'connection');
      // 17 MiB announced against a 16 MiB budget, 6 MiB sent: the 4x rule made its buffer 17 MiB.
      const { peer, sent } = await budgetAttacker(port, attackerIdentity, 17 * MiB, 6 * MiB);
      await accepted;
      assert.ok(await eventually(() => pool.stats().pendingMessageBytes >= 5 * MiB, 5000), 'the attack holds budget');
      const held = pool.stats().pendingMessageBytes;
      t.diagnostic(`attacker sent ${(sent / MiB).toFixed(1)} MiB, budget used ${(held / MiB).toFixed(1)} MiB`);
      assert.ok(held <= BUDGET * 0.75 + MiB, `one connection holds at most three quarters of the budget: ${held}`);
      await legitEcho(port, 5000);
      // The attacker goes; its connection and its charge go with it (at the latest by messageTimeout).
      peer.socket.destroy();
      assert.ok(await eventually(() => pool.stats().pendingMessageBytes === 0 && pool.stats().connections === 0, 8000), `left: used ${pool.stats().pendingMessageBytes}, connections ${pool.stats().connections}`);
      // The legit peer reconnects (no ALREADY_CONNECTED from a lingering connection) and is served.
      await legitEcho(port, 5000);
    } finally {
      await pool.close();
    }
  });

  test(`${name}: a connection paused by the budget that makes no progress ends with TIMEOUT after messageTimeout, and its charge goes back`, async () => {
    const pool = server(workers, 1000);
    try {
      const { port } = await pool.listen();
      const ended = new Promise<string | undefined>((resolve) => {
        pool.on('connection', (conn) => {
          conn.read().then(
            () => resolve('message'),
            (error: { code?: string }) => resolve(error.code),
          );
        });
      });
      // More than three quarters of the budget: its connection is paused, with bytes left to send.
      const { peer } = await budgetAttacker(port, attackerIdentity, 17 * MiB, 15 * MiB, 500);
      assert.equal(await Promise.race([ended, sleep(5000, 'still open after 5 s')]), 'TIMEOUT');
      assert.ok(await eventually(() => pool.stats().pendingMessageBytes === 0, 3000));
      peer.socket.destroy();
    } finally {
      await pool.close();
    }
  });

  test(`${name}: a peer that resets its connection while the budget pauses it is seen at once, not at messageTimeout`, async () => {
    const pool = server(workers, 60_000);
    try {
      const { port } = await pool.listen();
      const { peer } = await budgetAttacker(port, attackerIdentity, 17 * MiB, 15 * MiB, 500);
      assert.ok(pool.stats().pendingMessageBytes > 0);
      await sleep(100);
      peer.socket.resetAndDestroy();
      assert.ok(await eventually(() => pool.stats().pendingMessageBytes === 0 && pool.stats().connections === 0, 5000), `after the reset: used ${pool.stats().pendingMessageBytes}, connections ${pool.stats().connections}`);
    } finally {
      await pool.close();
    }
  });
}
