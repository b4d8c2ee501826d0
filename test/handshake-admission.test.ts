/**
 * The handshake admission policy on its own (src/main/handshake-admission.ts): which handshake
 * gives up its slot to a newcomer when every slot is taken, and that slots and stall counts stay
 * consistent. The clock is passed in; a handshake is a stand-in whose received bytes and state
 * the test sets, as the pool's lifecycle and engine would.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HandshakeAdmission, type AdmissionSlot, type AdmittedHandshake } from '../src/main/handshake-admission.ts';

class Handshake implements AdmittedHandshake {
  bytes = 0;
  peerTurn = true;
  evictedWith: string | undefined;
  received(): number {
    return this.bytes;
  }
  waitingOnPeer(): boolean {
    return this.peerTurn;
  }
  evict(reason: string): void {
    this.evictedWith = reason;
  }
}

function admission(maxHandshakes = 4, minIdleMs = 1000, maxPerAddress = maxHandshakes, maxTimeouts = 3): HandshakeAdmission {
  return new HandshakeAdmission({ maxHandshakes, maxPerAddress, maxTimeouts, minIdleMs });
}

function admitted(result: AdmissionSlot | string): AdmissionSlot {
  assert.ok(typeof result !== 'string', `refused: ${String(result)}`);
  return result;
}

/** Fills every slot of `pool`, one handshake per address 10.0.0.i, admitted at 0, 1, 2 … ms. */
function fill(pool: HandshakeAdmission, count: number): Array<{ handshake: Handshake; slot: AdmissionSlot }> {
  return Array.from({ length: count }, (_, i) => {
    const handshake = new Handshake();
    return { handshake, slot: admitted(pool.admit(`10.0.0.${i}`, handshake, i)) };
  });
}

test('with every slot taken, a newcomer evicts the handshake that has sent nothing for longest', () => {
  const pool = admission(4);
  const held = fill(pool, 4);
  const newcomer = new Handshake();
  admitted(pool.admit('192.0.2.1', newcomer, 10));
  assert.equal(pool.inFlight, 4);
  assert.match(held[0]!.handshake.evictedWith ?? '', /it sent nothing in 10 ms.*maxIncomingHandshakes/);
  assert.deepEqual(held.slice(1).map(({ handshake }) => handshake.evictedWith), [undefined, undefined, undefined]);
  // The next newcomer takes the next oldest.
  admitted(pool.admit('192.0.2.2', new Handshake(), 11));
  assert.ok(held[1]!.handshake.evictedWith);
});

test('a handshake that received bytes keeps its slot for minIdleMs after its last byte', () => {
  const pool = admission(2, 1000);
  const [speaking, silent] = fill(pool, 2);
  speaking!.handshake.bytes = 50;
  const early = new Handshake();
  admitted(pool.admit('192.0.2.1', early, 5)); // sees the 50 bytes at 5; evicts the silent one
  assert.equal(speaking!.handshake.evictedWith, undefined);
  assert.ok(silent!.handshake.evictedWith);
  early.bytes = 1;
  // Both have spoken within the last 1000 ms: a newcomer is refused.
  assert.equal(pool.admit('192.0.2.2', new Handshake(), 6), 'TOO_MANY_HANDSHAKES');
  speaking!.handshake.bytes = 80;
  assert.equal(pool.admit('192.0.2.2', new Handshake(), 900), 'TOO_MANY_HANDSHAKES');
  // 1000 ms after `early`'s byte was seen (at 6) it goes; `speaking` (seen at 900) stays.
  const late = new Handshake();
  admitted(pool.admit('192.0.2.2', late, 1006));
  assert.match(early.evictedWith ?? '', /sent 1 bytes, then nothing for 1000 ms/);
  assert.equal(speaking!.handshake.evictedWith, undefined);
  // At 1900 `speaking` has been silent for 1000 ms: it goes before the silent newcomer of 1006.
  admitted(pool.admit('192.0.2.3', new Handshake(), 1900));
  assert.match(speaking!.handshake.evictedWith ?? '', /sent 80 bytes, then nothing for 1000 ms/);
  assert.equal(late.evictedWith, undefined);
});

test('a handshake no longer waiting on its peer (policy, closing) is never evicted', () => {
  const pool = admission(2);
  const held = fill(pool, 2);
  for (const { handshake } of held) handshake.peerTurn = false;
  assert.equal(pool.admit('192.0.2.1', new Handshake(), 60_000), 'TOO_MANY_HANDSHAKES');
  assert.match(pool.explain('TOO_MANY_HANDSHAKES', '192.0.2.1'), /2 incoming handshakes in flight, maxIncomingHandshakes is 2: every one is progressing/);
  assert.deepEqual(held.map(({ handshake }) => handshake.evictedWith), [undefined, undefined]);
});

test('an address holding its share may not evict another address', () => {
  const pool = admission(4, 1000, 1);
  fill(pool, 3);
  const own = new Handshake();
  admitted(pool.admit('192.0.2.1', own, 3));
  assert.equal(pool.admit('192.0.2.1', new Handshake(), 10), 'TOO_MANY_HANDSHAKES');
  assert.match(pool.explain('TOO_MANY_HANDSHAKES', '192.0.2.1'), /192\.0\.2\.1 already holds its share \(maxIncomingHandshakesPerAddress 1\)/);
  assert.equal(pool.inFlight, 4);
});

test('an address that keeps stalling loses its handshake before an older one from an address that completes them', () => {
  const pool = admission(2);
  // 203.0.113.1 let one handshake time out before.
  pool.release(admitted(pool.admit('203.0.113.1', new Handshake(), 0)), 'TIMEOUT');
  const honest = new Handshake();
  admitted(pool.admit('198.51.100.1', honest, 1));
  const staller = new Handshake();
  admitted(pool.admit('203.0.113.1', staller, 2));
  admitted(pool.admit('192.0.2.1', new Handshake(), 3));
  assert.ok(staller.evictedWith);
  assert.equal(honest.evictedWith, undefined);
});

test('a newcomer that evicts a handshake from its own address holds one slot there, not two', () => {
  const pool = admission(2, 1000, 2);
  admitted(pool.admit('203.0.113.1', new Handshake(), 0));
  admitted(pool.admit('198.51.100.1', new Handshake(), 1));
  admitted(pool.admit('203.0.113.1', new Handshake(), 2)); // evicts its own address's first handshake
  // 203.0.113.1 holds one of its two: it may still evict.
  admitted(pool.admit('203.0.113.1', new Handshake(), 3));
});

test('an eviction after minIdleMs of silence counts as a timeout of its address; its release frees nothing twice', () => {
  const pool = admission(1, 100, 1, 2);
  const first = admitted(pool.admit('203.0.113.1', new Handshake(), 0));
  const second = admitted(pool.admit('198.51.100.1', new Handshake(), 100)); // evicts the first
  assert.equal(pool.inFlight, 1);
  assert.equal(pool.release(first, 'TIMEOUT'), false);
  assert.equal(pool.inFlight, 1, 'the evicted slot was already given away');
  const third = admitted(pool.admit('203.0.113.1', new Handshake(), 200)); // evicts the second
  assert.equal(pool.release(second, 'TIMEOUT'), false);
  assert.equal(pool.release(third, 'TIMEOUT'), true, 'two timeouts in a row greylist 203.0.113.1');
  assert.equal(pool.inFlight, 0);
});

test('an eviction before minIdleMs of silence does not greylist, but puts its address first in line', () => {
  const pool = admission(2, 100, 2, 1);
  const early = admitted(pool.admit('203.0.113.1', new Handshake(), 0));
  const other = new Handshake();
  admitted(pool.admit('198.51.100.1', other, 1));
  admitted(pool.admit('192.0.2.1', new Handshake(), 50)); // evicts `early` after 50 ms
  assert.equal(pool.release(early, 'TIMEOUT'), false, 'maxTimeouts 1, yet an early eviction does not greylist');
  // 203.0.113.1's next handshake is the newest, but its address was evicted before: it goes first.
  const again = new Handshake();
  admitted(pool.admit('203.0.113.1', again, 60)); // evicts the oldest, `other`
  assert.ok(other.evictedWith);
  admitted(pool.admit('192.0.2.2', new Handshake(), 70));
  assert.ok(again.evictedWith, "the address with an early eviction on record lost its handshake first");
});

/** One step of the property below. */
type Step =
  | { kind: 'admit'; address: number; at: number }
  | { kind: 'release'; index: number; outcome: 'TIMEOUT' | 'CONNECTION_CLOSED' | undefined }
  | { kind: 'speak'; index: number; bytes: number }
  | { kind: 'policy'; index: number };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('admit' as const), address: fc.integer({ min: 0, max: 3 }), at: fc.integer({ min: 0, max: 150 }) }),
  fc.record({ kind: fc.constant('release' as const), index: fc.nat(), outcome: fc.constantFrom('TIMEOUT' as const, 'CONNECTION_CLOSED' as const, undefined) }),
  fc.record({ kind: fc.constant('speak' as const), index: fc.nat(), bytes: fc.integer({ min: 1, max: 100 }) }),
  fc.record({ kind: fc.constant('policy' as const), index: fc.nat() }),
);

test('any sequence: slots stay within the budget and the share, and only silent handshakes waiting on their peer are evicted', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 3 }), fc.array(stepArbitrary, { maxLength: 200 }), (max, share, steps) => {
      const minIdleMs = 100;
      const pool = admission(max, minIdleMs, share);
      const live: Array<{ handshake: Handshake; slot: AdmissionSlot; lastByteAt: number }> = [];
      let now = 0;
      for (const step of steps) {
        if (step.kind === 'admit') {
          now += step.at;
          const before = live.map((entry) => ({ ...entry, bytes: entry.handshake.bytes, peerTurn: entry.handshake.peerTurn }));
          const handshake = new Handshake();
          const host = `10.0.0.${step.address}`;
          const held = live.filter((entry) => entry.slot.host === host).length;
          const result = pool.admit(host, handshake, now);
          // Past half the budget an address gets no more than its share, by eviction or not; below
          // the budget, and below its share or half the budget, it gets a slot.
          if (typeof result !== 'string' && held >= share) assert.ok(before.length * 2 < max, `${host} got a slot beyond its share`);
          // When all are taken, an address below its share gets one if a handshake has sent nothing.
          const silent = before.some((entry) => entry.peerTurn && entry.bytes === 0);
          const entitled = before.length < max ? held < share || before.length * 2 < max : held < share && silent;
          if (entitled) assert.notEqual(typeof result, 'string', `${host} refused with ${String(result)}`);
          for (const entry of before) {
            if (entry.handshake.evictedWith === undefined) continue;
            assert.ok(entry.peerTurn, 'evicted while not waiting on its peer');
            assert.ok(entry.bytes === 0 || now - entry.lastByteAt >= minIdleMs, 'evicted while progressing');
            live.splice(live.findIndex((other) => other.handshake === entry.handshake), 1);
          }
          // The pool releases an evicted handshake when its lifecycle ends: that frees nothing twice.
          for (const entry of before) if (entry.handshake.evictedWith !== undefined) pool.release(entry.slot, 'TIMEOUT');
          if (typeof result !== 'string') live.push({ handshake, slot: result, lastByteAt: now });
        } else if (live.length > 0) {
          const entry = live[step.index % live.length]!;
          if (step.kind === 'release') {
            pool.release(entry.slot, step.outcome);
            live.splice(live.indexOf(entry), 1);
          } else if (step.kind === 'speak') {
            entry.handshake.bytes += step.bytes;
            entry.lastByteAt = now;
          } else entry.handshake.peerTurn = false;
        }
        assert.equal(pool.inFlight, live.length);
        assert.ok(pool.inFlight <= max);
      }
      for (const entry of live) pool.release(entry.slot, undefined);
      assert.equal(pool.inFlight, 0);
    }),
    { numRuns: 2000 },
  );
});
