/**
 * The greylist does not keep expired entries of addresses that never come back:
 * inserting sweeps them out once the map has doubled, so it stays within twice its live entries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressList } from '../src/main/address-list.ts';

test('100,000 addresses greylisted once each for 1 s over 100 s: the list never holds more than twice the live entries (+1024)', () => {
  const list = new AddressList();
  let largest = 0;
  for (let i = 0; i < 100_000; i++) {
    const now = i; // one address per millisecond
    list.greylist(`2001:db8::${i.toString(16)}`, 1000, now);
    largest = Math.max(largest, list.greylistSize);
  }
  // 1,000 live at any time (1 s at one per ms).
  assert.ok(largest <= 2 * 1000 + 1024, `greylist grew to ${largest}`);
  assert.equal(list.refuses('2001:db8::0', 100_000), false);
  assert.equal(list.refuses(`2001:db8::${(99_999).toString(16)}`, 100_000), true);
});
