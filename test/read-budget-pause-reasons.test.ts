/**
 * The per-turn read budget pauses a socket for one turn of the event loop, and composes with the
 * session's own pause (queue full, pending budget): the end of the turn never resumes a socket the
 * session holds, and the session's resume never resumes a socket that has yielded for this turn.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionTransport } from '../src/shared/session/transport.ts';
import { READ_BUDGET_PER_TURN } from '../src/shared/session/loop-turns.ts';
import { memoryPair } from './support/memory-pair.ts';

/** Resolves after the current turn of the event loop has ended (its immediates ran). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
}

/** Waits, within this turn of the event loop (process ticks only), until `done` holds. */
async function ticksUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) await new Promise((resolve) => process.nextTick(resolve));
  assert.ok(done(), 'not delivered within 100 ticks');
}

/** A transport in stream mode on one end of an in-memory pair, the other end to write with. */
function streaming(): { transport: SessionTransport; peer: ReturnType<typeof memoryPair>[1]; received: () => number } {
  const [local, peer] = memoryPair();
  const transport = new SessionTransport(local, 1 << 20);
  let received = 0;
  transport.onInput = {
    inputReceived() {
      received += transport.input.length;
      transport.input.clear();
    },
  };
  return { transport, peer, received: () => received };
}

test('reading under the budget does not pause; past it the socket pauses until the next turn, and every byte is delivered', async () => {
  const { transport, peer, received } = streaming();
  peer.write(Buffer.alloc(READ_BUDGET_PER_TURN - 1, 1));
  await ticksUntil(() => received() === READ_BUDGET_PER_TURN - 1);
  assert.equal(transport.socket.isPaused(), false);
  peer.write(Buffer.alloc(2, 1));
  await ticksUntil(() => received() === READ_BUDGET_PER_TURN + 1);
  assert.equal(transport.socket.isPaused(), true, 'the budget paused it');
  peer.write(Buffer.alloc(3, 1));
  await nextTurn();
  assert.equal(transport.socket.isPaused(), false, 'the next turn resumed it');
  assert.equal(received(), READ_BUDGET_PER_TURN + 4);
  peer.destroy();
});

test('a socket over its budget stays paused when the session resumes it in the same turn, and reads again next turn', async () => {
  const { transport, peer } = streaming();
  peer.write(Buffer.alloc(READ_BUDGET_PER_TURN, 1));
  await new Promise<void>((resolve) => transport.socket.once('data', () => process.nextTick(resolve)));
  assert.equal(transport.socket.isPaused(), true, 'the budget paused it');
  transport.pause();
  transport.resume();
  assert.equal(transport.socket.isPaused(), true, "the session's resume left the budget's pause alone");
  await nextTurn();
  assert.equal(transport.socket.isPaused(), false, 'the next turn resumed it');
  peer.destroy();
});

test('a socket the session holds stays paused when the turn ends, and reads again when the session resumes it', async () => {
  const { transport, peer } = streaming();
  peer.write(Buffer.alloc(READ_BUDGET_PER_TURN, 1));
  await new Promise<void>((resolve) => transport.socket.once('data', () => process.nextTick(resolve)));
  transport.pause();
  await nextTurn();
  await nextTurn();
  assert.equal(transport.socket.isPaused(), true, 'the end of the turn left the session\'s pause alone');
  transport.resume();
  assert.equal(transport.socket.isPaused(), false);
  peer.destroy();
});
