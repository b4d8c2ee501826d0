/**
 * Ciphers load their key into the thread's call buffer only when it is not the key loaded last
 * (chunk-cipher.ts: the cache is the state's slab and offset). Cipher states of many connections
 * fill several slabs of long-lived bytes, so states of different slabs lie at the same offsets:
 * whatever order the connections seal and open in, each uses its own key and its own running
 * nonces, as libsodium called with them directly does (protocol.md §5.3, §6.1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { ChunkOpener, ChunkSealer, OPENING_NONCE, SEALING_NONCE, cipherState } from '../src/shared/session/chunk-cipher.ts';
import { HEADER_LENGTH, TAG_LENGTH } from '../src/shared/session/chunk-layout.ts';
import { openInPlace, sealInPlace } from '../src/shared/crypto/box.ts';
import { incrementNonce } from '../src/shared/crypto/nonce.ts';
import { sealedChunks } from './support/sealed-chunks.ts';

/** Enough 80-byte states for three 4 KiB slabs. */
const STATES = 130;

interface End {
  readonly key: Buffer;
  readonly sealer: ChunkSealer;
  readonly opener: ChunkOpener;
  readonly slab: Buffer;
  readonly at: number;
  /** The peer's copies of the running nonces: what we seal with, what we open with. */
  readonly peerReceives: Buffer;
  readonly peerSends: Buffer;
}

function makeEnds(): End[] {
  return Array.from({ length: STATES }, () => {
    const key = randomBytes(32);
    const local = randomBytes(24);
    const remote = randomBytes(24);
    const state = cipherState(key, local, remote);
    return {
      key,
      sealer: new ChunkSealer(state, SEALING_NONCE),
      opener: new ChunkOpener(state, OPENING_NONCE),
      slab: state.slab,
      at: state.at,
      peerReceives: Buffer.from(local),
      peerSends: Buffer.from(remote),
    };
  });
}

test('cipher states at the same offset of different slabs: each connection seals and opens with its own key, in any order', () => {
  const ends = makeEnds();
  const slabs = new Set(ends.map((end) => end.slab));
  assert.ok(slabs.size >= 3, `${slabs.size} slabs`);
  const sameOffset = ends.filter((end) => end.at === ends[0]!.at);
  assert.ok(new Set(sameOffset.map((end) => end.slab)).size >= 2, 'states of two slabs share an offset');
  fc.assert(
    fc.property(
      fc.array(fc.record({ end: fc.nat({ max: STATES - 1 }), open: fc.boolean(), size: fc.integer({ min: 1, max: 64 }) }), { minLength: 1, maxLength: 60 }),
      (steps) => {
        for (const { end: index, open, size } of steps) {
          const end = ends[index]!;
          const part = randomBytes(size);
          if (open) {
            const sealed = Buffer.concat([Buffer.alloc(TAG_LENGTH), part]);
            sealInPlace(sealed.subarray(TAG_LENGTH), sealed.subarray(0, TAG_LENGTH), end.peerSends, end.key);
            incrementNonce(end.peerSends, 0, 24);
            assert.deepEqual(Buffer.from(end.opener.open(sealed)), part, `connection ${index} opened with its key and nonce`);
          } else {
            const chunk = sealedChunks(end.sealer, part, [size])[0]!;
            const ciphertext = Buffer.from(chunk.subarray(HEADER_LENGTH + TAG_LENGTH));
            assert.ok(openInPlace(ciphertext, chunk.subarray(HEADER_LENGTH, HEADER_LENGTH + TAG_LENGTH), end.peerReceives, end.key), `connection ${index} sealed with its key and nonce`);
            assert.deepEqual(ciphertext, part);
            incrementNonce(end.peerReceives, 0, 24);
          }
        }
      },
    ),
    { numRuns: 50 },
  );
});
