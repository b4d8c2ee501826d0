/**
 * Hostile review of long-lived-bytes.ts: `info.publicKey` is a view of a 4 KiB slab, so whatever
 * else that slab's ArrayBuffer holds is handed to the application with it. It must hold peer
 * public keys and nothing else: before the fix the slab came from `Buffer.allocUnsafeSlow`, and
 * past the keys the application could read ~4 KiB of stale heap memory (any freed buffer, key
 * material included) through `info.publicKey.buffer`, in both modes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeIdentity } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';

/** Every public key of this file: the slab is per process, so earlier tests' keys are in it too. */
const known = new Set<string>();

for (const { name, workers } of MODES) {
  test(`${name}: the ArrayBuffer behind info.publicKey holds public keys and zeros only`, async () => {
    const serverIdentity = makeIdentity(1);
    const clientIdentities = [makeIdentity(1), makeIdentity(1)];
    for (const identity of [serverIdentity, ...clientIdentities]) known.add(identity.publicKey.toString('hex'));
    const server = makePool(workers, { identity: serverIdentity });
    const clients = clientIdentities.map((identity) => makePool(0, { identity }));
    try {
      const { port } = await server.listen();
      const connections = await Promise.all(clients.map((client) => client.connect({ host: '127.0.0.1', port })));
      for (const conn of connections) {
        const key = conn.info.publicKey;
        const whole = Buffer.from(key.buffer, 0, key.buffer.byteLength);
        assert.equal(key.byteOffset % 32, 0); // 32-byte values, 8-aligned: one every 32 bytes
        for (let offset = 0; offset + 32 <= whole.length; offset += 32) {
          const value = whole.subarray(offset, offset + 32);
          if (value.every((byte) => byte === 0)) continue;
          assert.ok(known.has(value.toString('hex')), `bytes ${offset}..${offset + 32} of the slab are not a public key`);
        }
      }
    } finally {
      await Promise.all([server.close(), ...clients.map((client) => client.close())]);
    }
  });
}
