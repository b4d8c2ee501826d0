/**
 * What `import 'p2p-socket'` loads: none of the command line's packages or files, and prom-client,
 * msgpackr and piscina only once a program uses what needs them (`pool.metrics()`,
 * `msgpackCodec()`, a proof-of-work pool). The second half shows the check sees those packages
 * when they are used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modulesLoadedBy, packagesOf } from './support/modules-loaded.ts';

const CLI_PACKAGES = ['chart.js', 'cli-table3', 'hdr-histogram-js', 'log-update'];
const ON_FIRST_USE = ['msgpackr', 'piscina', 'prom-client'];

test('importing p2p-socket loads no package of the command line, and none it loads on first use', () => {
  const loaded = modulesLoadedBy('p2p-socket');
  assert.ok(loaded.some((url) => url.endsWith('/src/main/index.ts')), 'the core entry itself is seen');
  const packages = packagesOf(loaded);
  assert.deepEqual(packages.filter((name) => CLI_PACKAGES.includes(name) || ON_FIRST_USE.includes(name)), []);
  assert.deepEqual(loaded.filter((url) => url.includes('/src/cli/')), [], 'no file of the command line');
  assert.ok(packages.includes('sodium-native'), `the crypto package is seen (${packages.join(', ')})`);
});

test('pool.metrics() loads prom-client, msgpackCodec() loads msgpackr', () => {
  const metrics = packagesOf(
    modulesLoadedBy(
      'p2p-socket',
      `const { identity } = await lib.generateIdentity({ difficulty: 0 });
       const pool = new lib.Pool({ identity, workers: 0, metadata: lib.emptyMetadataConfig, chainName: 'SANDBOXED_MAVRYK', proofOfWorkDifficulty: 0 });
       if (!(await pool.metrics()).includes('p2p_socket_')) throw new Error('no metrics');
       await pool.close();`,
    ),
  );
  assert.ok(metrics.includes('prom-client'), `loaded: ${metrics.join(', ')}`);
  assert.ok(!metrics.includes('msgpackr'));
  const codec = packagesOf(modulesLoadedBy('p2p-socket', `lib.msgpackCodec().encode({ a: 1 });`));
  assert.ok(codec.includes('msgpackr'), `loaded: ${codec.join(', ')}`);
  assert.ok(!codec.includes('prom-client'));
});
