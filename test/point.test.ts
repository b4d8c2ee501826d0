import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecodingError, EncodingError } from '../src/shared/errors.ts';
import { canonicalHost, formatPoint, parsePoint, parsePointWithPeerId, pointsEqual } from '../src/shared/wire/point.ts';

const PEER_ID = 'idrDhFF62HJ9vKaYrH3oSxbRXH1zdk';

function throwsUserFunction(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => err instanceof DecodingError && err.reason === 'USER_FUNCTION');
}

test('formatPoint: IPv4 is a.b.c.d:port', () => {
  assert.equal(formatPoint({ host: '127.0.0.1', port: 9732 }), '127.0.0.1:9732');
  assert.equal(formatPoint({ host: '0.0.0.0', port: 0 }), '0.0.0.0:0');
  assert.equal(formatPoint({ host: '255.255.255.255', port: 65535 }), '255.255.255.255:65535');
});

test('formatPoint: IPv4-mapped IPv6 is written as IPv4 (protocol.md §8.3)', () => {
  assert.equal(formatPoint({ host: '::ffff:1.2.3.4', port: 9732 }), '1.2.3.4:9732');
  assert.equal(formatPoint({ host: '::ffff:102:304', port: 9732 }), '1.2.3.4:9732');
  assert.equal(formatPoint({ host: '0:0:0:0:0:FFFF:7F00:1', port: 1 }), '127.0.0.1:1');
  // Only the mapped prefix gets the dotted form: IPv4-compatible and NAT64 stay hex.
  assert.equal(formatPoint({ host: '::1.2.3.4', port: 1 }), '[::102:304]:1');
  assert.equal(formatPoint({ host: '64:ff9b::1.2.3.4', port: 1 }), '[64:ff9b::102:304]:1');
  assert.equal(formatPoint({ host: '::fffe:1.2.3.4', port: 1 }), '[::fffe:102:304]:1');
});

test('formatPoint: ::1 and ::', () => {
  assert.equal(formatPoint({ host: '::1', port: 9732 }), '[::1]:9732');
  assert.equal(formatPoint({ host: '0:0:0:0:0:0:0:1', port: 9732 }), '[::1]:9732');
  assert.equal(formatPoint({ host: '::', port: 1 }), '[::]:1');
  assert.equal(formatPoint({ host: '1::', port: 1 }), '[1::]:1');
});

test('formatPoint: RFC 5952 lowercase, no leading zeros, longest zero run compressed', () => {
  assert.equal(formatPoint({ host: '2001:0DB8:0000:0000:0000:0000:0000:0001', port: 1 }), '[2001:db8::1]:1');
  assert.equal(formatPoint({ host: '2001:db8:0:0:0:0:2:1', port: 1 }), '[2001:db8::2:1]:1');
  // The longer run wins even when it comes second.
  assert.equal(formatPoint({ host: '2001:0:0:1:0:0:0:1', port: 1 }), '[2001:0:0:1::1]:1');
  // A single zero group is never compressed.
  assert.equal(formatPoint({ host: '2001:db8:0:1:1:1:1:1', port: 1 }), '[2001:db8:0:1:1:1:1:1]:1');
  assert.equal(formatPoint({ host: '2001:db8::1:1:1:1:1', port: 1 }), '[2001:db8:0:1:1:1:1:1]:1');
  assert.equal(formatPoint({ host: 'ABCD:EF01:2345:6789:ABCD:EF01:2345:6789', port: 1 }), '[abcd:ef01:2345:6789:abcd:ef01:2345:6789]:1');
});

test('formatPoint: ties between equal zero runs compress the first one', () => {
  assert.equal(formatPoint({ host: '2001:db8:0:0:1:0:0:1', port: 1 }), '[2001:db8::1:0:0:1]:1');
  assert.equal(formatPoint({ host: '1:0:0:2:0:0:3:4', port: 1 }), '[1::2:0:0:3:4]:1');
  assert.equal(formatPoint({ host: '0:0:1:0:0:1:0:0', port: 1 }), '[::1:0:0:1:0:0]:1');
});

test('formatPoint: invalid hosts and ports are EncodingError', () => {
  for (const host of ['localhost', '[::1]', 'fe80::1%eth0', '1.2.3', '01.2.3.4', '', '1::2::3']) {
    assert.throws(() => formatPoint({ host, port: 1 }), EncodingError, host);
  }
  for (const port of [-1, 65536, 1.5, Number.NaN]) assert.throws(() => formatPoint({ host: '::1', port }), EncodingError);
});

test('canonicalHost', () => {
  assert.equal(canonicalHost('::FFFF:10.0.0.1'), '10.0.0.1');
  assert.equal(canonicalHost('fe80:0:0:0:0:0:0:1'), 'fe80::1');
  assert.equal(canonicalHost('example.com'), undefined);
});

test('parsePoint: IPv4 with a port', () => {
  assert.deepEqual(parsePoint('127.0.0.1:9732'), { host: '127.0.0.1', port: 9732 });
  assert.deepEqual(parsePoint('0.0.0.0:0'), { host: '0.0.0.0', port: 0 });
  assert.deepEqual(parsePoint('1.2.3.4:65535'), { host: '1.2.3.4', port: 65535 });
  // Leading zeros in the port are decimal (OCaml int_of_string of digits).
  assert.deepEqual(parsePoint('1.2.3.4:09732'), { host: '1.2.3.4', port: 9732 });
});

test('parsePoint: bracketed IPv6, brackets stripped and host canonical', () => {
  assert.deepEqual(parsePoint('[::1]:9732'), { host: '::1', port: 9732 });
  assert.deepEqual(parsePoint('[2001:DB8:0:0:0:0:0:1]:1'), { host: '2001:db8::1', port: 1 });
  assert.deepEqual(parsePoint('[::ffff:1.2.3.4]:9732'), { host: '1.2.3.4', port: 9732 });
  // The lexer also takes a dotted quad in brackets.
  assert.deepEqual(parsePoint('[1.2.3.4]:80'), { host: '1.2.3.4', port: 80 });
});

test('parsePoint: IPv6 without brackets does not lex', () => {
  throwsUserFunction(() => parsePoint('::1:9732'));
  throwsUserFunction(() => parsePoint('2001:db8::1:9732'));
});

test('parsePoint: the port is required and must be 0..65535', () => {
  for (const text of ['127.0.0.1', '[::1]', '127.0.0.1:', '[::1]:', '1.2.3.4:65536', '1.2.3.4:99999999999999999999', '1.2.3.4:-1', '1.2.3.4:+1', '1.2.3.4: 1', '1.2.3.4:0x10']) {
    throwsUserFunction(() => parsePoint(text));
  }
});

test('parsePoint: host names and other non-literals are rejected', () => {
  for (const text of ['localhost:9732', 'example.com:9732', '_:9732', ':9732', '[]:9732', '1.2.3:9732', '256.1.1.1:1', '01.2.3.4:1', '[fe80::1%eth0]:1', '[::1]extra:1', ' 1.2.3.4:1', '1.2.3.4:1 ', '[1::2::3]:1', '[::g]:1']) {
    throwsUserFunction(() => parsePoint(text));
  }
});

test('parsePoint: a valid #peer_id suffix is accepted and ignored', () => {
  assert.deepEqual(parsePoint(`127.0.0.1:9732#${PEER_ID}`), { host: '127.0.0.1', port: 9732 });
  assert.deepEqual(parsePoint(`[::1]:9732#${PEER_ID}`), { host: '::1', port: 9732 });
  assert.deepEqual(parsePointWithPeerId(`[::1]:9732#${PEER_ID}`), { point: { host: '::1', port: 9732 }, peerId: PEER_ID });
  assert.deepEqual(parsePointWithPeerId('[::1]:9732'), { point: { host: '::1', port: 9732 }, peerId: undefined });
});

test('parsePoint: an invalid #peer_id suffix is rejected', () => {
  const corrupted = PEER_ID.slice(0, -1) + (PEER_ID.endsWith('k') ? 'j' : 'k');
  for (const suffix of [corrupted, PEER_ID.slice(0, -1), 'id', '', 'idrDhFF62HJ9vKaYrH3oSxbRXH1zdk0', 'O0Il', 'abc-def', `${PEER_ID}#${PEER_ID}`]) {
    throwsUserFunction(() => parsePoint(`127.0.0.1:9732#${suffix}`));
  }
  // A peer id without a port still fails on the port.
  throwsUserFunction(() => parsePoint(`127.0.0.1#${PEER_ID}`));
});

test('formatPoint and parsePoint are inverse on canonical points', () => {
  for (const text of ['127.0.0.1:9732', '[::1]:9732', '[2001:db8::1:0:0:1]:1', '[::]:0', '[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535']) {
    assert.equal(formatPoint(parsePoint(text)), text);
  }
});

test('pointsEqual compares after parsing', () => {
  assert.ok(pointsEqual({ host: '::ffff:1.2.3.4', port: 1 }, { host: '1.2.3.4', port: 1 }));
  assert.ok(pointsEqual('[::ffff:1.2.3.4]:1', '1.2.3.4:1'));
  assert.ok(pointsEqual('[0:0::1]:9732', { host: '::1', port: 9732 }));
  assert.ok(pointsEqual('[2001:DB8::1]:5', '[2001:db8:0:0:0:0:0:1]:5#' + PEER_ID));
  assert.ok(!pointsEqual('1.2.3.4:1', '1.2.3.4:2'));
  assert.ok(!pointsEqual('1.2.3.4:1', '1.2.3.5:1'));
  assert.ok(!pointsEqual('[::1.2.3.4]:1', '1.2.3.4:1'));
  assert.ok(!pointsEqual('localhost:1', 'localhost:1'));
  assert.ok(!pointsEqual({ host: 'x', port: 1 }, { host: 'x', port: 1 }));
});
