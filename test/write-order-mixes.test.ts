/**
 * Messages arrive in the order they were written whatever the mix of write, writeNow, writeSync
 * and writeEncodedNow, within one event-loop turn and across turns (a connection's first write in
 * a turn goes straight to the socket, later ones are corked: neither may overtake the other, nor
 * queued messages), both modes; every accepted message arrives, and the byte counters agree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Connection } from '../src/main/connection.ts';
import { makePool, MODES } from './support/pools.ts';

type Op = 'write' | 'writeNow' | 'writeSync' | 'writeEncodedNow' | 'turn' | 'microtask';
const op: fc.Arbitrary<Op> = fc.constantFrom('write', 'writeNow', 'writeSync', 'writeEncodedNow', 'turn', 'microtask');

function body(seq: number, size: number): Uint8Array {
  const out = Buffer.alloc(Math.max(4, size));
  out.writeUInt32BE(seq, 0);
  return out;
}

// Found by the property in a clean-clone CI run (seed 1503190626): inline, a small write admitted
// by the queue bound went in ahead of a write already waiting for room; the sharded backend
// queued it behind the waiting one.
for (const { name, workers } of MODES) {
  test(`${name}: a small write does not overtake a write waiting for room in the outgoing queue`, async () => {
    const server = makePool(workers);
    const client = makePool(workers, { accept: { outgoingMessageQueueSize: 6000 } });
    try {
      const { port } = await server.listen();
      const incoming = server.connections()[Symbol.asyncIterator]().next();
      const conn = await client.connect({ host: '127.0.0.1', port });
      const peer = (await incoming).value as Connection<Uint8Array, undefined>;
      const sizes = [4, 70000, 3000, 3000, 4];
      await Promise.all(sizes.map((size, n) => conn.write(body(n, size))));
      await conn.close({ wait: true });
      const received: number[] = [];
      for await (const { message } of peer) received.push(Buffer.from(message).readUInt32BE(0));
      assert.deepEqual(received, [0, 1, 2, 3, 4]);
      await peer.close();
    } finally {
      await client.close();
      await server.close();
    }
  });
}

for (const { name, workers } of MODES) {
  test(`${name}: any mix of write, writeNow, writeSync and writeEncodedNow arrives in order, and sent bytes equal received bytes`, async () => {
    const server = makePool(workers);
    // A small outgoing queue, so writeNow drops and write waits in some runs.
    const client = makePool(workers, { accept: { outgoingMessageQueueSize: 6000 } });
    try {
      const { port } = await server.listen();
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(op, fc.constantFrom(4, 100, 3000, 70000)), { minLength: 1, maxLength: 40 }), async (ops) => {
          const incoming = server.connections()[Symbol.asyncIterator]().next();
          const conn = await client.connect({ host: '127.0.0.1', port });
          const peer = (await incoming).value as Connection<Uint8Array, undefined>;
          const accepted: number[] = [];
          const pending: Promise<void>[] = [];
          let seq = 0;
          for (const [kind, size] of ops) {
            if (kind === 'turn') await nextTurn();
            else if (kind === 'microtask') await Promise.resolve();
            else {
              const n = seq++;
              const message = body(n, size);
              if (kind === 'write') pending.push(conn.write(message).then(() => void accepted.push(n)));
              else if (kind === 'writeSync') pending.push(conn.writeSync(message).then(() => void accepted.push(n)));
              else if (kind === 'writeNow') {
                if (conn.writeNow(message)) accepted.push(n);
              } else if (conn.writeEncodedNow(conn.encode(message))) accepted.push(n);
            }
          }
          await Promise.all(pending);
          await conn.close({ wait: true });
          const received: number[] = [];
          for await (const { message } of peer) received.push(Buffer.from(message).readUInt32BE(0));
          assert.deepEqual(received, [...accepted].sort((a, b) => a - b), `ops ${JSON.stringify(ops)}`);
          await peer.close();
          await conn.ended;
          await peer.ended;
          assert.equal(conn.stat().totalSent, peer.stat().totalRecv, 'client sent = server received');
        }),
        { numRuns: 15 },
      );
    } finally {
      await client.close();
      await server.close();
    }
  });
}
