/**
 * One connection's delivery may run another connection's receive path on the same thread: a
 * waiting read's codec decodes inside delivery (inline), and a codec that reads another
 * connection there (`readNow`) makes that one refill its queue from the chunks it holds. The
 * chunk being framed was opened before its messages are delivered, so the thread-wide tag slot
 * (chunk-cipher.ts) and join scratch (byte-engine.ts) are free for the nested one: both
 * streams arrive byte for byte, in order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../src/main/connection.ts';
import type { MessageCodec } from '../src/main/codecs.ts';
import { encodeStream } from '../src/shared/session/encoded-message.ts';
import { makeIdentity } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';
import { establishedPeer, framed, type ScriptedPeer } from './support/scripted-peer.ts';

const FROM_A = 0xaa;
const B_MESSAGES = 120;

function sealed(peer: ScriptedPeer, plain: Buffer): Buffer {
  const encoded = encodeStream(plain, plain.length);
  encoded.consume();
  return Buffer.from(peer.sealer!.seal(encoded));
}

function bMessage(i: number): Buffer {
  const out = Buffer.alloc(300 + (i % 50), i & 0xff);
  out.writeUInt16BE(i, 0);
  return out;
}

for (const { name, workers } of MODES) {
  test(`${name}: a codec that reads another connection while a chunk of its own is delivered leaves both streams whole and in order`, async () => {
    const connections: Array<Connection<Uint8Array, undefined>> = [];
    const fromB: Buffer[] = [];
    let nestedReads = 0;
    const codec: MessageCodec<Uint8Array> = {
      encode: (message) => message,
      decode: (body) => {
        if (body[0] === FROM_A && connections[1]) {
          for (let i = 0; i < 8; i++) {
            const got = connections[1].readNow();
            if (!got) break;
            fromB.push(Buffer.from(got.message));
            nestedReads++;
          }
        }
        return body;
      },
    };
    const pool = makePool(workers, { codec, accept: { incomingMessageQueueSize: 2000 } });
    pool.on('connection', (conn) => connections.push(conn));
    try {
      const { port } = await pool.listen();
      const peers: ScriptedPeer[] = [];
      for (let p = 0; p < 2; p++) {
        peers.push(await establishedPeer(port, makeIdentity(1)));
        const deadline = Date.now() + 10_000;
        while (connections.length <= p && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const [a, b] = connections;
      assert.ok(a && b, 'connections not accepted');
      // B: one message per chunk, far more than its queue holds: the rest waits in its received bytes.
      peers[1]!.raw(Buffer.concat(Array.from({ length: B_MESSAGES }, (_, i) => sealed(peers[1]!, framed(bMessage(i))))));
      await new Promise((resolve) => setTimeout(resolve, 200));
      // A: several messages in one chunk, the first delivered to a waiting read (decoded in delivery).
      const aMessages = Array.from({ length: 5 }, (_, i) => Buffer.alloc(200 + i, FROM_A));
      const aRead = a.read();
      peers[0]!.raw(sealed(peers[0]!, Buffer.concat(aMessages.map(framed))));
      assert.ok(Buffer.from((await aRead).message).equals(aMessages[0]!));
      for (const expected of aMessages.slice(1)) assert.ok(Buffer.from((await a.read({ signal: AbortSignal.timeout(10_000) })).message).equals(expected));
      assert.ok(nestedReads > 0, 'the codec read nothing of B');
      while (fromB.length < B_MESSAGES) fromB.push(Buffer.from((await b.read({ signal: AbortSignal.timeout(10_000) })).message));
      for (let i = 0; i < B_MESSAGES; i++) assert.ok(fromB[i]!.equals(bMessage(i)), `B's message ${i} arrived altered or out of order`);
      for (const peer of peers) peer.socket.destroy();
    } finally {
      await pool.close();
    }
  });
}
