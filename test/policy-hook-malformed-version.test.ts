/**
 * A policy hook's accept carries the negotiated version the connection reports
 * (`info.negotiatedVersion`, docs/pool.md "The `policy` hook"). The pool checks its own accept
 * options once, when it is built; a version the hook returns is the hook's, checked on every
 * decision: a malformed one ends the connection with POLICY_FAILED, never an accepted connection
 * whose version has holes. Both modes, over loopback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkVersion } from '../src/shared/wire/network-version.ts';
import { settle } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';

const MALFORMED: ReadonlyArray<{ name: string; version: unknown }> = [
  { name: 'a version without its numbers', version: { chainName: 'SANDBOXED_MAVRYK' } },
  { name: 'a number', version: 7 },
  { name: 'a p2p version past u16', version: { chainName: 'SANDBOXED_MAVRYK', distributedDbVersion: 2, p2pVersion: 70_000 } },
];

for (const { name, workers } of MODES) {
  test(`${name}: a policy hook that accepts with a malformed version ends the connection with POLICY_FAILED`, async () => {
    // The same client identity dials again at once: the server may still hold the attempt the
    // client's policy just ended, so it must not refuse the next one as a duplicate peer.
    const server = makePool(workers, { allowDuplicatePeers: true });
    let returned: unknown;
    const client = makePool(workers, { policy: () => ({ action: 'accept', version: returned as NetworkVersion }) });
    try {
      const { port } = await server.listen();
      for (const { name: what, version } of MALFORMED) {
        returned = version;
        const outcome = await settle(client.connect({ host: '127.0.0.1', port }));
        if (outcome.ok) {
          const reported = outcome.value.info.negotiatedVersion;
          await outcome.value.close();
          assert.fail(`${what}: accepted, negotiatedVersion ${JSON.stringify(reported)}`);
        }
        assert.equal(outcome.error.code, 'POLICY_FAILED', `${what}: ${outcome.error.message}`);
        assert.match(outcome.error.message, /negotiatedVersion/, what);
      }
      // A well-formed version from the hook is used as it is.
      returned = { chainName: 'SANDBOXED_MAVRYK', distributedDbVersion: 2, p2pVersion: 1 };
      const conn = await client.connect({ host: '127.0.0.1', port });
      assert.deepEqual({ ...conn.info.negotiatedVersion }, returned);
      await conn.close();
    } finally {
      await client.close();
      await server.close();
    }
  });
}
