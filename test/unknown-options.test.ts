/**
 * Every options object of the public API refuses a name it does not know, as a TypeError that
 * names the path and the closest known option: a misspelt option (`maxConnection`) must not be
 * ignored while the default it meant to change stays in force.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { authenticate } from '../src/main/authenticate.ts';
import { connect } from '../src/main/connect.ts';
import { validateAcceptOptions } from '../src/main/validate-options.ts';
import { handshakeOptions, makeIdentity } from './support/fixtures.ts';
import { makePool } from './support/pools.ts';

type Loose = Record<string, unknown>;

function refusal(message: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof TypeError, `not a TypeError: ${String(error)}`);
    assert.match(error.message, message);
    return true;
  };
}

test('new Pool refuses an unknown option and names the closest one', () => {
  assert.throws(() => makePool(0, { maxConnection: 5 } as Loose), refusal(/^options\.maxConnection is an unknown option; did you mean maxConnections\?$/));
  assert.throws(() => makePool(0, { worker: 2 } as Loose), refusal(/^options\.worker is an unknown option; did you mean workers\?$/));
});

test("a pool's accept options refuse an unknown option, an abbreviation suggesting the full name", () => {
  assert.throws(
    () => makePool(0, { accept: { incomingQueueSize: 1024 } } as Loose),
    refusal(/^options\.accept\.incomingQueueSize is an unknown option; did you mean incomingMessageQueueSize\?$/),
  );
});

test('a name like no known option lists the known ones', () => {
  assert.throws(() => makePool(0, { colour: 'blue' } as Loose), refusal(/^options\.colour is an unknown option; known options: identity, chainName, .*maxConnections.*, policy$/));
});

test('pool.listen, pool.connect and pool.close refuse unknown options', async () => {
  const pool = makePool(0);
  try {
    await assert.rejects(pool.listen({ hots: '127.0.0.1' } as Loose), refusal(/^options\.hots is an unknown option; did you mean host\?$/));
    await assert.rejects(pool.connect({ host: '127.0.0.1', port: 1 }, { singal: AbortSignal.timeout(10) } as Loose), refusal(/^options\.singal is an unknown option; did you mean signal\?$/));
    await assert.rejects(pool.close({ wiat: true } as Loose), refusal(/^options\.wiat is an unknown option; did you mean wait\?$/));
  } finally {
    await pool.close();
  }
});

test('connect, authenticate and accept refuse unknown options', async () => {
  const options = handshakeOptions(makeIdentity());
  await assert.rejects(connect('127.0.0.1', 1, { ...options, timout: 5 } as never), refusal(/^options\.timout is an unknown option; did you mean timeout\?$/));
  const socket = new Socket();
  await assert.rejects(authenticate(socket, { ...options, incoming: true, proofOfWorkDificulty: 1 } as never), refusal(/^options\.proofOfWorkDificulty is an unknown option; did you mean proofOfWorkDifficulty\?$/));
  socket.destroy();
  assert.throws(() => validateAcceptOptions({ maxMesageSize: 10 }), refusal(/^options\.maxMesageSize is an unknown option; did you mean maxMessageSize\?$/));
});
