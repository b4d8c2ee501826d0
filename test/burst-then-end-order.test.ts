/**
 * A peer's last burst, then its end, in one TCP write: small bodies (which share MESSAGES records
 * with other connections' bodies on a shard), a large one (transferred, with small ones parked
 * behind it on main) and medium ones, then a garbled chunk or a FIN. Every body is read whole and
 * in order and the end comes after the last one, with the same error in every mode (inline, one
 * shard, two shards), on several connections at once (architecture.md §3).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { P2pError } from '../src/shared/errors.ts';
import { MAX_CHUNK_CONTENT } from '../src/shared/session/chunk-layout.ts';
import { encodeStream } from '../src/shared/session/encoded-message.ts';
import { TRANSFER_THRESHOLD } from '../src/shared/shard/protocol.ts';
import { makeIdentity } from './support/fixtures.ts';
import { makePool } from './support/pools.ts';
import { establishedPeer, framed, type ScriptedPeer } from './support/scripted-peer.ts';

const TIMEOUT = 15_000;
const PEERS = 5;
const SIZES = [40, TRANSFER_THRESHOLD + 1000, 7, 0, 12, 5000, 30, TRANSFER_THRESHOLD * 2, 1, 2, 3];

/** The whole burst sealed as chunks, the end appended: one socket write. */
function burst(peer: ScriptedPeer, bodies: Buffer[], ending: 'garbage' | 'fin'): void {
  const encoded = encodeStream(Buffer.concat(bodies.map(framed)), MAX_CHUNK_CONTENT);
  encoded.consume();
  const sealed = peer.sealer!.seal(encoded);
  if (ending === 'garbage') {
    const junk = Buffer.alloc(2 + 40, 0x5a);
    junk.writeUInt16BE(40, 0); // a whole chunk whose tag does not verify
    peer.socket.write(Buffer.concat([sealed, junk]));
  } else peer.socket.end(sealed);
}

for (const { name, workers } of [
  { name: 'inline', workers: 0 },
  { name: 'one shard', workers: 1 },
  { name: 'two shards', workers: 2 },
]) {
  for (const ending of ['garbage', 'fin'] as const) {
    test(`${name}: a burst of small, large and medium bodies then ${ending === 'fin' ? 'a FIN' : 'a garbled chunk'}, on ${PEERS} connections at once: all read in order, then the end`, async () => {
      const server = makePool(workers, { allowDuplicatePeers: true });
      const peers: ScriptedPeer[] = [];
      try {
        const { port } = await server.listen();
        const outcomes: Array<Promise<{ bodies: Buffer[]; code: string }>> = [];
        server.on('connection', (conn) => {
          outcomes.push(
            (async () => {
              const bodies: Buffer[] = [];
              for (;;) {
                try {
                  bodies.push(Buffer.from((await conn.read({ signal: AbortSignal.timeout(TIMEOUT) })).message));
                } catch (error) {
                  return { bodies, code: error instanceof P2pError ? error.code : `untyped ${String(error)}` };
                }
              }
            })(),
          );
        });
        const identity = makeIdentity();
        for (let i = 0; i < PEERS; i++) peers.push(await establishedPeer(port, identity));
        const deadline = Date.now() + TIMEOUT;
        while (outcomes.length < PEERS && Date.now() < deadline) await sleep(5);
        assert.equal(outcomes.length, PEERS, 'every peer accepted');
        await sleep(50); // the server's Acks are out: the bursts land on established connections
        const sent = peers.map((_, i) => SIZES.map((size) => Buffer.from(randomBytes(size).fill(i + 1, 0, Math.min(size, 1)))));
        for (const [i, peer] of peers.entries()) burst(peer, sent[i]!, ending);
        const results = await Promise.all(outcomes);
        for (const { bodies, code } of results) {
          assert.equal(code, ending === 'fin' ? 'CONNECTION_CLOSED' : 'DECIPHER_ERROR');
          const from = sent.findIndex((list) => list.length === bodies.length && list.every((b, k) => b.equals(bodies[k]!)));
          assert.ok(from >= 0, `one peer's bodies, whole and in order (got ${bodies.map((b) => b.length).join(',')})`);
        }
      } finally {
        for (const peer of peers) peer.socket.destroy();
        await server.close();
      }
    });
  }
}
