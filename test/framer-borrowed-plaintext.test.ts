/**
 * The framer on a plaintext that does not stay valid after the call (`stable` false: the thread's
 * scratch, or a chunk opened in the thread's read buffer, borrowed-reads.ts): every body it emits
 * is a copy, and a copy of a body large enough to cross to main as a transferred buffer is the
 * whole of its own ArrayBuffer and marked `owned`, so a shard transfers it without copying again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageFramer, type FramedMessage } from '../src/shared/session/message-framer.ts';
import { TRANSFER_THRESHOLD } from '../src/shared/shard/protocol.ts';

function framed(length: number, seed: number): Buffer {
  const out = Buffer.alloc(4 + length);
  out.writeUInt32BE(length);
  for (let i = 0; i < length; i++) out[4 + i] = (i * 7 + seed) & 0xff;
  return out;
}

test('bodies framed from an unstable plaintext survive it being overwritten; large ones are owned copies, small ones not', () => {
  for (const detachSmall of [true, false]) {
    const framer = new MessageFramer(1 << 24, detachSmall);
    const sizes = [0, 1, 4095, 4096, TRANSFER_THRESHOLD, 40_000];
    const plain = Buffer.concat(sizes.map((size, i) => framed(size, i)));
    const got: FramedMessage[] = [];
    assert.equal(framer.push(plain, (message) => got.push(message), false), plain.length);
    plain.fill(0xee); // the read buffer is reused
    assert.equal(got.length, sizes.length);
    for (const [i, message] of got.entries()) {
      assert.ok(message.body.equals(framed(sizes[i]!, i).subarray(4)), `body ${i} (${sizes[i]} bytes) changed with the plaintext`);
      const whole = message.body.byteOffset === 0 && message.body.byteLength === message.body.buffer.byteLength;
      if (sizes[i]! >= 4096) assert.ok(message.owned && whole, `a ${sizes[i]}-byte body is an owned copy`);
      else assert.ok(!message.owned, `a ${sizes[i]}-byte body is not marked owned`);
    }
  }
});
