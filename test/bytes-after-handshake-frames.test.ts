/**
 * Handshake reads take one whole frame at a time (transport.ts `readFrame`/`takeFrame`) and leave
 * what follows it buffered. A dialler may send its metadata chunk, its Ack and its first messages
 * in one segment, or cut anywhere, and end (FIN) right after, while the pool's policy still
 * decides: whatever follows the Ack waits through the policy step and reaches the application
 * whole and in order, then the end (protocol.md §7, §8, §9), in both modes alike (a shard once
 * dropped such a connection at the FIN, with what it had sent). Over loopback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { P2pError } from '../src/shared/errors.ts';
import { encodeStream } from '../src/shared/session/encoded-message.ts';
import { encodeAck } from '../src/shared/wire/ack.ts';
import { makeIdentity, rawClient } from './support/fixtures.ts';
import { MODES } from './support/pools.ts';
import { framed, ScriptedPeer } from './support/scripted-peer.ts';
import { withPool } from './support/with-pool.ts';

const identity = makeIdentity(1);

/** One sealed chunk holding exactly `plain`. */
function sealed(peer: ScriptedPeer, plain: Buffer): Buffer {
  const encoded = encodeStream(plain, Math.max(1, plain.length));
  encoded.consume();
  return Buffer.from(peer.sealer!.seal(encoded));
}

const ACK = encodeAck({ kind: 'ack' });

for (const { name, workers } of MODES) {
  test(`${name}: metadata, Ack and messages in one write or cut anywhere, then maybe a FIN: every message arrives, in order`, async () => {
    // The policy takes a while: what follows the Ack waits in the transport meanwhile.
    const policy = async (): Promise<undefined> => {
      await sleep(15);
      return undefined;
    };
    // Every run dials with the same identity: the last run's connection may still be registered.
    await withPool(workers, { policy, allowDuplicatePeers: true }, async (port, connections) => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 4 }),
          fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 4 }),
          fc.boolean(),
          async (lengths, cuts, fin) => {
            const socket = await rawClient(port);
            socket.on('error', () => undefined);
            socket.on('data', () => undefined);
            const peer = new ScriptedPeer(socket);
            peer.sendConnectionMessage(identity);
            await peer.readConnectionMessage(identity);
            const bodies = lengths.map((length, i) => Buffer.alloc(length, i + 1));
            const stream = Buffer.concat([sealed(peer, Buffer.alloc(0)), sealed(peer, ACK), ...bodies.map((body) => sealed(peer, framed(body)))]);
            let at = 0;
            for (const cut of cuts) {
              if (at >= stream.length) break;
              peer.raw(stream.subarray(at, Math.min(stream.length, at + cut)));
              at += cut;
              await sleep(1);
            }
            if (at < stream.length) peer.raw(stream.subarray(at));
            if (fin) socket.end();
            const before = connections.length;
            const deadline = Date.now() + 10_000;
            for (let i = 0; i < 1000 && connections.length === before && Date.now() < deadline; i++) await sleep(10);
            const conn = connections[before];
            assert.ok(conn, 'the pool established the connection');
            for (const [i, body] of bodies.entries()) {
              const { message } = await conn.read({ signal: AbortSignal.timeout(5000) });
              assert.ok(Buffer.from(message).equals(body), `message ${i} of ${bodies.length}`);
            }
            if (fin) {
              await assert.rejects(conn.read({ signal: AbortSignal.timeout(5000) }), (error: unknown) => error instanceof P2pError && error.code === 'CONNECTION_CLOSED');
            }
            socket.destroy();
            await conn.close();
          },
        ),
        // Always played: all in one write, then a FIN while the policy still decides.
        { numRuns: 10, examples: [[[0, 5], [], true]] },
      );
    });
  });
}
