/**
 * `p2p-socket/messages` is a subpath export of its own: importing the core `p2p-socket` loads
 * none of its modules, and importing the subpath does (which shows the check can see them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modulesLoadedBy } from './support/modules-loaded.ts';

const isMessagesModule = (url: string): boolean => url.includes('/src/messages/');

test('importing p2p-socket loads no module of p2p-socket/messages', () => {
  const loaded = modulesLoadedBy('p2p-socket');
  assert.ok(loaded.some((url) => url.endsWith('/src/main/index.ts')), 'the core entry itself is seen');
  assert.deepEqual(loaded.filter(isMessagesModule), []);
});

test('importing p2p-socket/messages loads the message modules', () => {
  const loaded = modulesLoadedBy('p2p-socket/messages');
  assert.ok(loaded.some((url) => url.endsWith('/src/messages/index.ts')));
  assert.ok(loaded.some((url) => url.endsWith('/src/messages/layout.ts')));
});
