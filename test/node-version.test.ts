import { test } from 'node:test';
import assert from 'node:assert/strict';
import { supportsSocketTransfer, unsupportedNodeMessage } from '../src/main/node-version.ts';

test('socket transfer to workers: Node 24.20+ on the 24 line, 26.6+ after, never 25', () => {
  for (const version of ['24.20.0', 'v24.21.0', '26.6.0', '26.10.1', '27.0.0']) assert.equal(supportsSocketTransfer(version), true, version);
  for (const version of ['20.20.2', 'v22.12.0', '24.19.9', '25.9.0', '26.5.0', '']) assert.equal(supportsSocketTransfer(version), false, version);
});

test('the unsupported-Node message names the version needed, the one running, and why', () => {
  const message = unsupportedNodeMessage('v20.1.0');
  assert.match(message, />= 24\.20/);
  assert.match(message, /this is v20\.1\.0/);
  assert.match(message, /worker threads/);
});
