/**
 * Bounded memory for messages still arriving: peers that announce a 50 MiB message and
 * trickle it cannot grow the server's RSS past the pool-wide `maxPendingMessageBytes` plus a
 * constant, in both modes, while another connection keeps flowing; and an unfinished message
 * that stalls for `messageTimeout` ends its connection with TIMEOUT. The server runs in a child
 * process so only its memory is measured. Scaled down: a 4 MiB budget, 6 peers, ~3 s.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { authenticate } from '../src/main/authenticate.ts';
import { P2pError } from '../src/shared/errors.ts';
import { MAX_CHUNK_CONTENT } from '../src/shared/session/chunk-layout.ts';
import { handshakeOptions, loopback, makeIdentity, rawClient, settle } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';
import { establishedPeer, ScriptedPeer } from './support/scripted-peer.ts';

const MiB = 1024 * 1024;
const BUDGET = 4 * MiB;
const PEERS = 6;
/** What each peer offers of its 50 MiB message before the test stops it. */
const OFFERED = 16 * MiB;
/** RSS growth allowed beyond the budget: heap churn, socket reads in flight, each peer's last chunk. */
const SLACK = 24 * MiB;
const identity = makeIdentity(1);

/** Handshakes with the server, announces a 50 MiB message and sends its body until `stop`. */
async function trickle(port: number, stop: { done: boolean }): Promise<number> {
  const peer = await establishedPeer(port, identity);
  const socket = peer.socket;
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(50 * MiB);
  peer.sendChunk(prefix);
  const piece = Buffer.alloc(MAX_CHUNK_CONTENT, 0x5a);
  let sent = 0;
  while (!stop.done && sent < OFFERED && !socket.destroyed) {
    peer.sendChunk(piece);
    sent += piece.length;
    // Respect TCP: when the server stops reading, this peer waits (bounded by `stop`).
    while (socket.writableNeedDrain && !stop.done && !socket.destroyed) await sleep(5);
    await sleep(1);
  }
  socket.destroy();
  return sent;
}

for (const { name, workers } of MODES) {
  test(`${name}: ${PEERS} peers trickling 50 MiB messages grow RSS by at most the pending budget plus a constant; another connection keeps flowing`, async (t) => {
    const child = fork(new URL('./support/pending-memory-server.ts', import.meta.url), [String(workers), String(BUDGET)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const client = makePool(0);
    try {
      const [{ port }] = (await once(child, 'message')) as [{ port: number }];
      // The honest connection, warmed up before the baseline.
      const honest = await client.connect({ host: '127.0.0.1', port });
      for (let i = 0; i < 50; i++) {
        await honest.write(Buffer.alloc(1024, i));
        await honest.read({ signal: AbortSignal.timeout(5000) });
      }
      child.send('baseline');
      await once(child, 'message');

      const stop = { done: false };
      const peers = Array.from({ length: PEERS }, () => trickle(port, stop));
      // Meanwhile the honest connection keeps echoing.
      let roundTrips = 0;
      const until = Date.now() + 3000;
      while (Date.now() < until) {
        await honest.write(Buffer.alloc(1024, roundTrips & 0xff));
        const echoed = await honest.read({ signal: AbortSignal.timeout(5000) });
        assert.equal(echoed.message.length, 1024);
        roundTrips++;
        await sleep(10);
      }
      stop.done = true;
      const sent = await Promise.all(peers);
      child.send('report');
      const [report] = (await once(child, 'message')) as [{ baseline: number; peak: number; pendingPeak: number; stats: { errors: Record<string, number> } }];
      const growth = report.peak - report.baseline;
      const offered = sent.reduce((a, b) => a + b, 0);
      const detail = `growth ${(growth / MiB).toFixed(1)} MiB, pending peak ${(report.pendingPeak / MiB).toFixed(1)} MiB, peers sent ${(offered / MiB).toFixed(1)} MiB, honest round trips ${roundTrips}`;
      t.diagnostic(detail);
      assert.ok(roundTrips >= 20, detail);
      assert.ok(report.pendingPeak > BUDGET / 2, `the peers never filled the budget: ${detail}`);
      // The budget is checked after each chunk: each peer may overshoot by what one read brings.
      assert.ok(report.pendingPeak <= BUDGET + PEERS * 2 * MiB, detail);
      assert.ok(growth <= BUDGET + SLACK, detail);
      await honest.close();
    } finally {
      await client.close();
      if (child.exitCode === null) child.kill();
    }
  });
}

test('an unfinished message that stalls for messageTimeout ends the connection with TIMEOUT', async () => {
  const lb = await loopback();
  try {
    const socket = await rawClient(lb.port);
    socket.on('error', () => undefined);
    const peer = new ScriptedPeer(socket);
    const serverSide = (async () => {
      const auth = await authenticate(await lb.accepted(), { ...handshakeOptions(makeIdentity(1)), incoming: true });
      const conn = await auth.accept({ messageTimeout: 300 });
      return settle(conn.read());
    })();
    await peer.establish(identity);
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(1000);
    peer.sendChunk(Buffer.concat([prefix, Buffer.alloc(10)])); // 10 of 1000 bytes, then nothing
    const started = Date.now();
    const outcome = await serverSide;
    assert.equal(outcome.ok, false);
    if (!outcome.ok) {
      assert.ok(outcome.error instanceof P2pError);
      assert.equal(outcome.error.code, 'TIMEOUT');
    }
    assert.ok(Date.now() - started < 3000);
    await new Promise((resolve) => (socket.closed ? resolve(undefined) : socket.once('close', resolve)));
  } finally {
    await lb.close();
  }
});
