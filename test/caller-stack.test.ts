/**
 * An error `pool.connect` rejects with shows where the user called it, in both modes: sharded, the
 * error is made on a shard and rebuilt on main from its record; inline, in a socket callback.
 * Either way its own stack ends in the library's event handling.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { P2pError } from '../src/shared/errors.ts';
import { makeIdentity } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';

/** A port on 127.0.0.1 that nothing listens on any more. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

for (const { name, workers } of MODES) {
  test(`${name}: the error of a failed pool.connect carries the caller's frames`, async () => {
    const server = makePool(workers, { proofOfWorkDifficulty: 16 });
    const client = makePool(workers, { identity: makeIdentity(1) });
    // Named, so its frame can be found in the stack.
    async function dialFromUserCode(port: number): Promise<unknown> {
      try {
        await client.connect({ host: '127.0.0.1', port });
      } catch (error) {
        return error;
      }
      return assert.fail('connected');
    }
    try {
      const { port } = await server.listen();
      for (const target of [await closedPort(), port]) {
        const error = await dialFromUserCode(target);
        assert.ok(error instanceof P2pError, `not a P2pError: ${String(error)}`);
        assert.match(error.stack ?? '', /\n\s+at Pool\.connect .*\n\s+at dialFromUserCode /, `port ${target}: ${error.stack}`);
      }
    } finally {
      await client.close();
      await server.close();
    }
  });
}
