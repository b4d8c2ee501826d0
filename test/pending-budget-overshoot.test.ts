/**
 * The pending-message budget's bound, over real loopback sockets in both modes: connections
 * brought just below a jump of their body buffer and then all jumping at once, beside many
 * connections each holding a message just under the size that used to be paused plus most of an
 * unfinished chunk (counted nowhere before), counted 2.5× the budget. The bound is now checked
 * before a buffer grows and every held byte is counted: the budget's peak stays within 10 % of
 * its limit, and the server's RSS (a child process) grows by about the budget. Scaled down from
 * a 64 MiB budget and 90 peers: a 16 MiB budget, 3 + 20 peers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { makeIdentity } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';
import { establishedPeer, type ScriptedPeer } from './support/scripted-peer.ts';
import { sendPartOfChunk, sendPartOfMessage } from './support/budget-attackers.ts';

const MiB = 1024 * 1024;
const BUDGET = 16 * MiB;
/** Peers whose 4 MiB message is brought just below the point where its buffer grows to 4 MiB. */
const JUMPERS = 3;
const JUMP_MESSAGE = 8 * MiB;
const JUMP_BELOW = 3_100_000;
/** Peers holding 261,999 bytes of a 262,000-byte message and 65,000 bytes of the next chunk. */
const HOLDERS = 20;
const HOLDER_MESSAGE = 262_000;
/** RSS growth allowed beyond the budget: heap churn, socket reads in flight, Node's stream buffers of paused sockets. */
const SLACK = 32 * MiB;
const identity = makeIdentity(1);

for (const { name, workers } of MODES) {
  test(`${name}: connections jumping their buffers at once beside many holding just-small messages and partial chunks keep the budget's peak within 10 % of its limit`, async (t) => {
    const child = fork(new URL('./support/pending-memory-server.ts', import.meta.url), [String(workers), String(BUDGET)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const client = makePool(0);
    const peers: ScriptedPeer[] = [];
    try {
      const [{ port }] = (await once(child, 'message')) as [{ port: number }];
      // Warm the server's paths up before the baseline.
      const honest = await client.connect({ host: '127.0.0.1', port });
      for (let i = 0; i < 20; i++) {
        await honest.write(Buffer.alloc(300_000, i));
        await honest.read({ signal: AbortSignal.timeout(5000) });
      }
      child.send('baseline');
      await once(child, 'message');

      // Every peer connects first, as a pool's peers do before they attack.
      for (let i = 0; i < JUMPERS + HOLDERS; i++) peers.push(await establishedPeer(port, identity));
      await sleep(200);
      // Just below the jump: more than a quarter of the message received, just less than its buffer
      // holds (3,144,808 bytes, grown by doubling while under a quarter had arrived).
      for (const peer of peers.slice(0, JUMPERS)) await sendPartOfMessage(peer, JUMP_MESSAGE, JUMP_BELOW, 500);
      for (const peer of peers.slice(JUMPERS)) {
        await sendPartOfMessage(peer, HOLDER_MESSAGE, HOLDER_MESSAGE - 1, 500);
        sendPartOfChunk(peer, Buffer.alloc(65_000, 1), 65_000);
      }
      // Then every jumper at once, one chunk each: a quarter of the message is here, the rule wants all of it.
      await Promise.all(peers.slice(0, JUMPERS).map((peer) => sendPartOfMessage(peer, JUMP_MESSAGE, 60_000, 500).catch(() => 0)));
      await sleep(1000);
      child.send('report');
      const [report] = (await once(child, 'message')) as [{ baseline: number; peak: number; pendingPeak: number }];
      const growth = report.peak - report.baseline;
      const detail = `budget peak ${(report.pendingPeak / MiB).toFixed(2)} MiB of ${BUDGET / MiB}, RSS growth ${(growth / MiB).toFixed(1)} MiB`;
      t.diagnostic(detail);
      assert.ok(report.pendingPeak >= BUDGET / 2, `the attack filled the budget: ${detail}`);
      assert.ok(report.pendingPeak <= BUDGET * 1.1, detail);
      assert.ok(growth <= BUDGET + SLACK, detail);
    } finally {
      for (const peer of peers) peer.socket.destroy();
      await client.close();
      if (child.exitCode === null) child.kill();
    }
  });
}
