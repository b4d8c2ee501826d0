/**
 * Each handshake step's failure gives its own typed error in both modes, outgoing and incoming,
 * in the order of protocol.md §10.1 and §11.1: the connection message's checks, then proof of
 * work, then the key, then the metadata (its chunk size, decipher, decoding), then Myself only
 * once the metadata deciphered and decoded, then the version (the accept policy). handshake-faults
 * runs these steps through `authenticate` alone; here a pool dials a raw responder on 127.0.0.1
 * (or a raw client dials the pool), so the sharded mode runs the handshake on a worker. Nothing
 * may escape as an unhandled rejection, and no shard may die.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import type { Pool } from '../src/main/pool.ts';
import { checkProofOfWork, makePowTarget } from '../src/shared/crypto/pow.ts';
import type { Identity } from '../src/shared/identity.ts';
import { escapedErrors, loopback, makeIdentity, NODE_VERSION, rawClient, settle } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';
import { ScriptedPeer } from './support/scripted-peer.ts';

/** The pools' deadline: long enough for a handshake on a loaded machine, short for the stalls. */
const DEADLINE = 1500;
const target = makePowTarget(1);

/** The pool's own identity: the Myself cases play it back. */
const own = makeIdentity(1);
const stranger = makeIdentity(1);

/** An identity whose stamp fails difficulty 1 (half of all stamps do). */
function weakIdentity(): Identity {
  for (;;) {
    const identity = makeIdentity(0);
    if (!checkProofOfWork(identity.publicKey, identity.proofOfWorkStamp, target)) return identity;
  }
}

/** The all-zero (low-order) key with a stamp that does or does not meet difficulty 1 for it. */
function zeroKeyIdentity(meetsTarget: boolean): Identity {
  const publicKey = Buffer.alloc(32);
  for (;;) {
    const proofOfWorkStamp = randomBytes(24);
    if (checkProofOfWork(publicKey, proofOfWorkStamp, target) === meetsTarget) return { ...stranger, publicKey, proofOfWorkStamp };
  }
}

interface Case {
  readonly name: string;
  readonly code: string;
  /** The raw side's play; `incoming` is whether the raw side accepted the TCP connection. */
  readonly play: (peer: ScriptedPeer, incoming: boolean) => Promise<void>;
  /** Outgoing only: abort the dial once `play` is done. */
  readonly abort?: boolean;
  readonly message?: RegExp;
}

/** Connection messages both ways, then our metadata chunk `metadata` (raw bytes when `garbled`). */
function throughConnectionMessages(identity: Identity, options: { chainName?: string } = {}) {
  return async (peer: ScriptedPeer, incoming: boolean): Promise<void> => {
    const version = options.chainName ? { ...NODE_VERSION, chainName: options.chainName } : NODE_VERSION;
    peer.sendConnectionMessage(identity, { version, publicKey: identity.publicKey });
    await peer.readConnectionMessage(identity, incoming);
  };
}

function withMetadata(identity: Identity, send: (peer: ScriptedPeer) => void, options: { chainName?: string } = {}) {
  const first = throughConnectionMessages(identity, options);
  return async (peer: ScriptedPeer, incoming: boolean): Promise<void> => {
    await first(peer, incoming);
    send(peer);
  };
}

const garbled = (peer: ScriptedPeer): void => peer.raw(Buffer.from('0012' + 'ab'.repeat(18), 'hex'));
const wrongLength = (peer: ScriptedPeer): void => peer.sendChunk(Buffer.from([1]));
const valid = (peer: ScriptedPeer): void => peer.sendChunk(Buffer.alloc(0));

const CASES: readonly Case[] = [
  { name: 'closes before its connection message', code: 'CONNECTION_CLOSED', play: async (peer) => void peer.socket.end() },
  { name: 'a garbage connection message', code: 'DECODING_ERROR', play: async (peer) => peer.raw(Buffer.from('00050102030405', 'hex')) },
  { name: 'a connection message shorter than its fixed fields', code: 'DECODING_ERROR', play: async (peer) => peer.raw(Buffer.from('0001ff', 'hex')) },
  { name: 'a stamp below the difficulty', code: 'NOT_ENOUGH_PROOF_OF_WORK', play: throughConnectionMessages(weakIdentity()) },
  { name: 'a low-order key with a stamp below the difficulty (PoW first)', code: 'NOT_ENOUGH_PROOF_OF_WORK', play: throughConnectionMessages(zeroKeyIdentity(false)) },
  { name: 'a low-order key with a good stamp', code: 'INVALID_PUBLIC_KEY', play: throughConnectionMessages(zeroKeyIdentity(true)) },
  { name: 'stalls after its connection message', code: 'TIMEOUT', play: throughConnectionMessages(stranger), message: /no metadata from the peer after its connection message/ },
  { name: 'closes after its connection message', code: 'CONNECTION_CLOSED', play: withMetadata(stranger, (peer) => void peer.socket.end()) },
  { name: 'a metadata chunk below 16 bytes', code: 'INVALID_INCOMING_CIPHERTEXT_SIZE', play: withMetadata(stranger, (peer) => peer.raw(Buffer.from('000f' + '00'.repeat(15), 'hex'))) },
  { name: 'a garbled metadata chunk', code: 'DECIPHER_ERROR', play: withMetadata(stranger, garbled) },
  { name: 'metadata of the wrong length', code: 'DECODING_ERROR', play: withMetadata(stranger, wrongLength) },
  { name: 'our own key, metadata garbled (no Myself before decipher)', code: 'DECIPHER_ERROR', play: withMetadata(own, garbled) },
  { name: 'our own key, metadata of the wrong length (no Myself before decoding)', code: 'DECODING_ERROR', play: withMetadata(own, wrongLength) },
  { name: 'our own key, half a metadata chunk then a stall', code: 'TIMEOUT', play: withMetadata(own, (peer) => peer.raw(Buffer.from('0012abab', 'hex'))) },
  { name: 'our own key, valid metadata', code: 'MYSELF', play: withMetadata(own, valid) },
  { name: 'our own key on another chain (Myself before the version)', code: 'MYSELF', play: withMetadata(own, valid, { chainName: 'OTHER' }) },
  { name: 'another chain', code: 'REJECTED_NO_COMMON_PROTOCOL', play: withMetadata(stranger, valid, { chainName: 'OTHER' }) },
  { name: 'abort while awaiting the connection message', code: 'ABORTED', abort: true, play: async () => undefined },
  { name: 'abort while awaiting the metadata', code: 'ABORTED', abort: true, play: throughConnectionMessages(stranger) },
  { name: 'our own key, abort while awaiting the metadata', code: 'ABORTED', abort: true, play: throughConnectionMessages(own) },
];

function poolFor(workers: number): Pool<Uint8Array, undefined> {
  return makePool(workers, { identity: own, handshakeTimeout: DEADLINE, connectTimeout: DEADLINE, greylistMs: 0, maxHandshakeTimeouts: 1000 });
}

/** The raw side's socket must be closed by the pool (it reads and drops what comes). */
async function closedByPool(socket: Socket): Promise<void> {
  socket.resume();
  if (socket.closed) return;
  await Promise.race([new Promise((resolve) => socket.once('close', resolve)), sleep(DEADLINE + 2000).then(() => assert.fail('socket left open'))]);
}

async function shardsIntact(pool: Pool<Uint8Array, undefined>): Promise<void> {
  for (const shard of pool.stats().shards) assert.equal(shard.restarts, 0, `shard ${shard.shard} died`);
  for (let i = 0; i < 50 && (pool.stats().handshakesInFlight !== 0 || pool.stats().connections !== 0); i++) await sleep(20);
  assert.equal(pool.stats().handshakesInFlight, 0);
  assert.equal(pool.stats().connections, 0);
}

for (const { name: mode, workers } of MODES) {
  test(`${mode}: outgoing, each step's failure rejects pool.connect with its own code`, async () => {
    const pool = poolFor(workers);
    const responder = await loopback();
    const seen: string[] = [];
    const escaped = await escapedErrors(async () => {
      try {
        await pool.ready();
        for (const { name, code, play, abort, message } of CASES) {
          const controller = new AbortController();
          const attempt = settle(pool.connect({ host: '127.0.0.1', port: responder.port }, { signal: controller.signal }));
          const socket = await responder.accepted();
          socket.on('error', () => undefined);
          const peer = new ScriptedPeer(socket);
          await play(peer, true).catch(() => undefined);
          if (abort) {
            await sleep(50); // the pool is waiting on the peer now
            controller.abort();
          }
          const outcome = await attempt;
          seen.push(`${name}: ${outcome.ok ? 'connected' : outcome.error.code}`);
          if (!outcome.ok && message) assert.match(outcome.error.message, message);
          if (outcome.ok) await outcome.value.close();
          await closedByPool(socket);
          assert.equal(seen.at(-1), `${name}: ${code}`);
        }
        await shardsIntact(pool);
      } finally {
        await pool.close();
        await responder.close();
      }
    });
    assert.deepEqual(escaped, []);
  });

  test(`${mode}: incoming, each step's failure is counted under its own code and the socket closed`, async () => {
    const pool = poolFor(workers);
    const escaped = await escapedErrors(async () => {
      try {
        const { port } = await pool.listen({ host: '127.0.0.1' });
        await pool.ready();
        for (const { name, code, play, abort } of CASES) {
          if (abort) continue; // an incoming handshake has no signal of its own
          const before = pool.stats().errors[code] ?? 0;
          const socket = await rawClient(port);
          socket.on('error', () => undefined);
          await play(new ScriptedPeer(socket), false).catch(() => undefined);
          await closedByPool(socket);
          for (let i = 0; i < 50 && (pool.stats().errors[code] ?? 0) === before; i++) await sleep(20);
          assert.equal((pool.stats().errors[code] ?? 0) - before, 1, `${name}: ${code} not counted (${JSON.stringify(pool.stats().errors)})`);
        }
        await shardsIntact(pool);
      } finally {
        await pool.close();
      }
    });
    assert.deepEqual(escaped, []);
  });
}
