/**
 * A connection's sealer and opener share one cipher state (`key ‖ local nonce ‖ remote nonce`,
 * chunk-cipher.ts) and load it into the thread's call buffers for each libsodium call: each
 * direction's nonce runs on its own, carries across bytes and wraps modulo 2^192 (protocol.md
 * §5.3) without touching the key or the other nonce, as two ciphers with states of their own do.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ChunkOpener, ChunkSealer, OPENING_NONCE, SEALING_NONCE, cipherState } from '../src/shared/session/chunk-cipher.ts';
import { HEADER_LENGTH, TAG_LENGTH } from '../src/shared/session/chunk-layout.ts';
import { openInPlace, sealInPlace } from '../src/shared/crypto/box.ts';
import { incrementNonce } from '../src/shared/crypto/nonce.ts';
import { sealedChunks } from './support/sealed-chunks.ts';

const CHUNKS = 5;

/** `tail` as the last bytes of a 24-byte nonce, the rest random. */
function nonceEndingWith(tail: number[]): Buffer {
  const nonce = randomBytes(24);
  Buffer.from(tail).copy(nonce, 24 - tail.length);
  return nonce;
}

/** Opens `chunks` in order with `opener`, each whole chunk's plaintext. */
function openAll(opener: ChunkOpener, chunks: Buffer[]): Buffer[] {
  return chunks.map((chunk) => Buffer.from(opener.open(Buffer.from(chunk).subarray(HEADER_LENGTH))));
}

for (const [name, tail] of [
  ['no carry', [0x10]],
  ['a carry across two bytes', [0x00, 0xfe]],
  ['a wrap of the whole nonce', Array<number>(24).fill(0xff)],
] as const) {
  test(`shared cipher state, ${name}: both directions match ciphers with states of their own`, () => {
    const key = randomBytes(32);
    const local = nonceEndingWith([...tail]);
    const remote = nonceEndingWith([...tail]);
    const state = cipherState(key, local, remote);
    const sealer = new ChunkSealer(state, SEALING_NONCE);
    const opener = new ChunkOpener(state, OPENING_NONCE);
    const stream = randomBytes(CHUNKS * 40);

    // Interleaved: each direction's nonce moves alone although both live in one state.
    const peerSealer = new ChunkSealer(key, remote);
    const peerOpener = new ChunkOpener(key, local);
    for (let i = 0; i < CHUNKS; i++) {
      const part = stream.subarray(i * 40, (i + 1) * 40);
      const sent = sealedChunks(sealer, part, [40]);
      assert.deepEqual(openAll(peerOpener, sent)[0], part, `chunk ${i} we sealed`);
      const received = sealedChunks(peerSealer, part, [40]);
      assert.deepEqual(openAll(opener, received)[0], part, `chunk ${i} we opened`);
    }
  });
}

test('cipher states in one slab: each connection seals and opens with its own key, one after the other', () => {
  // Connections' states lie side by side in one slab of long-lived bytes, as most do: the
  // thread's call buffers must take each one's key, not the key last loaded from that slab. The
  // peers here call libsodium directly (box.ts), with keys and nonces of their own.
  const made = Array.from({ length: 3 }, () => {
    const key = randomBytes(32);
    const local = randomBytes(24);
    const remote = randomBytes(24);
    return { key, local, remote, state: cipherState(key, local, remote) };
  });
  const pair = made.slice(1).map((b, i) => [made[i]!, b] as const).find(([a, b]) => a.state.slab === b.state.slab);
  assert.ok(pair, 'two consecutive cipher states share a slab');
  const ends = pair.map(({ key, local, remote, state }) => ({
    sealer: new ChunkSealer(state, SEALING_NONCE),
    opener: new ChunkOpener(state, OPENING_NONCE),
    key,
    peerReceives: Buffer.from(local),
    peerSends: Buffer.from(remote),
  }));
  const part = randomBytes(40);
  for (let i = 0; i < CHUNKS; i++) {
    // Both of ours one after the other: no other key is loaded in between.
    const sent = ends.map((end) => sealedChunks(end.sealer, part, [40])[0]!);
    for (const [n, end] of ends.entries()) {
      const ciphertext = Buffer.from(sent[n]!.subarray(HEADER_LENGTH + TAG_LENGTH));
      assert.ok(openInPlace(ciphertext, sent[n]!.subarray(HEADER_LENGTH, HEADER_LENGTH + TAG_LENGTH), end.peerReceives, end.key), `connection ${n}, chunk ${i} sealed with its key`);
      assert.deepEqual(ciphertext, part);
      incrementNonce(end.peerReceives, 0, 24);
    }
    const received = ends.map((end) => {
      const sealed = Buffer.concat([Buffer.alloc(TAG_LENGTH), part]);
      sealInPlace(sealed.subarray(TAG_LENGTH), sealed.subarray(0, TAG_LENGTH), end.peerSends, end.key);
      incrementNonce(end.peerSends, 0, 24);
      return sealed;
    });
    const opened = ends.map((end, n) => Buffer.from(end.opener.open(received[n]!)));
    for (const n of ends.keys()) assert.deepEqual(opened[n], part, `connection ${n}, chunk ${i} opened with its key`);
  }
});
