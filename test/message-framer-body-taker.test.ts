/**
 * MessageFramer's BodyTaker (the shard's path for small bodies): every message comes out once, in
 * order, whether taken as bytes or emitted; only bodies that lie whole in one chunk are offered;
 * a declined body is emitted as before (fast-check over message sizes and chunk cuts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MessageFramer, type BodyTaker } from '../src/shared/session/message-framer.ts';

/** The framed stream of `bodies`: u32 BE length ‖ body each (protocol.md §9.1). */
function stream(bodies: readonly Uint8Array[]): Buffer {
  return Buffer.concat(bodies.flatMap((body) => [Buffer.from([body.length >>> 24, (body.length >>> 16) & 0xff, (body.length >>> 8) & 0xff, body.length & 0xff]), body]));
}

test('bodies taken as bytes and bodies emitted come out once each, in order; only whole-in-one-chunk bodies are offered', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 40 }),
      fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 10 }),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }),
      fc.boolean(),
      (bodies, cuts, accepts, stable) => {
        const bytes = stream(bodies);
        const framer = new MessageFramer(1 << 20, false);
        const out: Buffer[] = [];
        let offers = 0;
        let chunk: Buffer = Buffer.alloc(0);
        const taker: BodyTaker = {
          takeBody(plain, start, length) {
            assert.equal(plain, chunk, 'offered from the chunk being framed');
            assert.ok(start >= 0 && start + length <= plain.length);
            if (!accepts[offers++ % accepts.length]) return false;
            out.push(Buffer.from(plain.subarray(start, start + length)));
            return true;
          },
        };
        let at = 0;
        for (let i = 0; at < bytes.length; i++) {
          const size = Math.min(cuts[i % cuts.length]!, bytes.length - at);
          chunk = Buffer.from(bytes.subarray(at, at + size));
          at += size;
          framer.push(chunk, (message) => out.push(Buffer.from(message.body)), stable, taker);
          chunk.fill(0xee); // a reused plaintext: what was taken or emitted must not depend on it
        }
        assert.deepEqual(out, bodies.map((body) => Buffer.from(body)));
        assert.ok(offers <= bodies.length);
      },
    ),
  );
});

test('a body spanning chunks is emitted, never offered to the taker', () => {
  const framer = new MessageFramer(1 << 20, false);
  const offered: number[] = [];
  const taker: BodyTaker = {
    takeBody(_plain, _start, length) {
      offered.push(length);
      return true;
    },
  };
  const emitted: Buffer[] = [];
  const bytes = stream([Buffer.alloc(10, 1), Buffer.alloc(50, 2), Buffer.alloc(5, 3)]);
  framer.push(bytes.subarray(0, 40), (message) => emitted.push(Buffer.from(message.body)), true, taker);
  framer.push(bytes.subarray(40), (message) => emitted.push(Buffer.from(message.body)), true, taker);
  assert.deepEqual(offered, [10, 5]);
  assert.deepEqual(emitted, [Buffer.alloc(50, 2)]);
});
