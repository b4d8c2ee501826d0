/**
 * A message the codec cannot encode is an ENCODING_ERROR that names what was wrong, from every
 * way of sending (`write`, `writeNow`, `writeSync`, `encode`, `pool.broadcast`), in both modes;
 * nothing is queued and the connection stays usable. With the bytes codec only a Buffer or
 * Uint8Array is a message (a string was once sent as garbage, an object failed in Buffer.alloc).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EncodingError } from '../src/shared/errors.ts';
import type { MessageCodec } from '../src/main/codecs.ts';
import { makeIdentity } from './support/fixtures.ts';
import { echo, makePool, MODES } from './support/pools.ts';

const NOT_BYTES: ReadonlyArray<[unknown, string]> = [
  [{ a: 1 }, 'an object (Object)'],
  ['hello', 'the string "hello"'],
  [42, '42'],
  [undefined, 'undefined'],
  [[1, 2], 'an array'],
];

function encodingError(got: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof EncodingError, `not an EncodingError: ${String(error)}`);
    assert.equal(error.code, 'ENCODING_ERROR');
    assert.equal(error.message, `encoding error: message must be a Buffer or Uint8Array (the bytes codec), got ${got}`);
    return true;
  };
}

for (const { name, workers } of MODES) {
  test(`${name}: with the bytes codec, a message that is not bytes is ENCODING_ERROR from write, writeNow, writeSync, encode and broadcast; the connection stays usable`, async () => {
    const server = makePool(workers);
    const client = makePool(workers, { identity: makeIdentity(1) });
    echo(server);
    try {
      const { port } = await server.listen();
      const conn = await client.connect({ host: '127.0.0.1', port });
      for (const [message, got] of NOT_BYTES) {
        const bad = message as Uint8Array;
        await assert.rejects(conn.write(bad), encodingError(got));
        await assert.rejects(conn.writeSync(bad), encodingError(got));
        assert.throws(() => conn.writeNow(bad), encodingError(got));
        assert.throws(() => conn.encode(bad), encodingError(got));
        assert.throws(() => client.broadcast(bad), encodingError(got));
      }
      assert.deepEqual(conn.messageCounts, { sent: 0, received: 0 });
      await conn.write(Buffer.from('still usable'));
      const { message } = await conn.read({ signal: AbortSignal.timeout(10_000) });
      assert.equal(Buffer.from(message).toString(), 'still usable');
    } finally {
      await client.close();
      await server.close();
    }
  });

  test(`${name}: a codec whose encode returns something other than a Uint8Array gives ENCODING_ERROR naming codec.encode`, async () => {
    const codec = { encode: (text: string) => text, decode: (body: Buffer) => body.toString() } as unknown as MessageCodec<Uint8Array>;
    const server = makePool(workers);
    const client = makePool(workers, { identity: makeIdentity(1), codec });
    try {
      const { port } = await server.listen();
      const conn = await client.connect({ host: '127.0.0.1', port });
      assert.throws(
        () => conn.writeNow('text' as unknown as Uint8Array),
        (error: unknown) => error instanceof EncodingError && error.message === 'encoding error: codec.encode must return a Uint8Array, got the string "text"',
      );
    } finally {
      await client.close();
      await server.close();
    }
  });
}
