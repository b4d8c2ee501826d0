/**
 * `P2p_stat` (protocol.md §12.2): the JSON form writes int64 totals as decimal strings, rates as
 * numbers; the pool's `stats().io` and the CLI flags that set the limits (KiB/s → bytes/s).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { statJson } from '../src/wire/index.ts';
import { poolListenOptions } from '../src/cli/pool-listen-options.ts';
import { UsageError } from '../src/cli/flag-parser.ts';

test('statJson: totals are exact decimal strings up to 2^53, rates are whole numbers', () => {
  fc.assert(
    fc.property(fc.maxSafeNat(), fc.maxSafeNat(), fc.nat(2 ** 31 - 1), fc.nat(2 ** 31 - 1), (sent, recv, inflow, outflow) => {
      const json = statJson({ totalSent: sent, totalRecv: recv, currentInflow: inflow, currentOutflow: outflow });
      assert.deepEqual(json, { total_sent: String(sent), total_recv: String(recv), current_inflow: inflow, current_outflow: outflow });
      assert.equal(JSON.parse(JSON.stringify(json)).total_sent, String(sent));
    }),
  );
  assert.equal(statJson({ totalSent: 2 ** 53, totalRecv: 0, currentInflow: 0, currentOutflow: 0 }).total_sent, '9007199254740992');
});

test('listen --max-upload-speed / --max-download-speed are KiB/s and need --workers', () => {
  const options = poolListenOptions({ workers: '1', 'max-upload-speed': '2048', 'max-download-speed': '1' }, 'usage');
  assert.equal(options?.maxUploadSpeed, 2 * 1024 * 1024);
  assert.equal(options?.maxDownloadSpeed, 1024);
  assert.equal(poolListenOptions({ workers: '0' }, 'usage')?.maxUploadSpeed, 0);
  assert.throws(() => poolListenOptions({ 'max-upload-speed': '10' }, 'usage'), UsageError);
  assert.throws(() => poolListenOptions({ workers: '1', 'max-download-speed': 'fast' }, 'usage'), UsageError);
});
