/**
 * A `'connection'` handler and a peer that leaves, in both modes: the README's echo loop answers
 * every message the peer sent before its end and then ends (the same events inline and sharded),
 * a handler whose promise rejects ends only its own connection (closed, counted HANDLER_FAILED),
 * and a server whose clients write much, read nothing and leave keeps running and serving.
 * Loopback only, port 0; every wait is bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_CHUNK_CONTENT } from '../src/shared/session/chunk-layout.ts';
import { encodeStream } from '../src/shared/session/encoded-message.ts';
import { makeIdentity } from './support/fixtures.ts';
import { makePool, MODES } from './support/pools.ts';
import { establishedPeer, framed } from './support/scripted-peer.ts';

const TIMEOUT = 15_000;
const CHILD = new URL('./support/echo-server-silent-writers.ts', import.meta.url);

/** Settles with `promise`'s value, or fails the test after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, sleep(ms).then(() => assert.fail(`${what}: not within ${ms} ms`))]);
}

for (const { name, workers } of MODES) {
  test(`${name}: the echo loop answers every message a peer sent before its FIN, then ends; no write fails`, async () => {
    const COUNT = 40;
    const server = makePool(workers);
    let done!: (events: string[]) => void;
    const handled = new Promise<string[]>((resolve) => (done = resolve));
    server.on('connection', async (conn) => {
      const events: string[] = [];
      try {
        for await (const { message } of conn) {
          events.push(`message ${message[0]}`);
          await conn.write(message);
          events.push(`wrote ${message[0]}`);
        }
        events.push('loop ended');
      } catch (error) {
        events.push(`threw ${(error as { code?: string }).code}`);
      }
      done(events);
    });
    try {
      const { port } = await server.listen();
      const peer = await establishedPeer(port, makeIdentity());
      await sleep(50); // the server's Ack is out: the burst lands on an established connection
      // Every message and the FIN in one TCP write: a shard reports them to main in one drain.
      const bodies = Array.from({ length: COUNT }, (_, i) => framed(Buffer.alloc(1000, i)));
      const encoded = encodeStream(Buffer.concat(bodies), MAX_CHUNK_CONTENT);
      encoded.consume();
      peer.socket.end(peer.sealer!.seal(encoded));
      const events = await within(handled, TIMEOUT, 'the handler did not finish');
      const expected = Array.from({ length: COUNT }, (_, i) => [`message ${i}`, `wrote ${i}`]).flat();
      assert.deepEqual(events, [...expected, 'loop ended']);
      assert.equal(server.stats().errors['HANDLER_FAILED'], undefined);
      peer.socket.destroy();
    } finally {
      await server.close();
    }
  });

  test(`${name}: a 'connection' handler whose promise rejects closes that connection, is counted HANDLER_FAILED, and the pool keeps serving`, async () => {
    const server = makePool(workers);
    const client = makePool(0, { identity: makeIdentity(1), allowDuplicatePeers: true });
    let first = true;
    const reasons: Array<readonly string[]> = [];
    server.on('connection', async (conn) => {
      if (first) {
        first = false;
        void conn.ended.then(() => reasons.push(conn.closingReasons));
        await conn.read();
        throw new Error('handler bug');
      }
      for await (const { message } of conn) await conn.write(message);
    });
    try {
      const { port } = await server.listen();
      const failing = await client.connect({ host: '127.0.0.1', port });
      await failing.write(Buffer.from('first'));
      await within(failing.ended, TIMEOUT, 'the server did not close the connection whose handler failed');
      for (let i = 0; i < 100 && reasons.length === 0; i++) await sleep(10);
      assert.deepEqual(reasons, [["'connection' handler failed: handler bug"]]);
      assert.equal(server.stats().errors['HANDLER_FAILED'], 1);
      const conn = await client.connect({ host: '127.0.0.1', port });
      await conn.write(Buffer.from('second'));
      const { message } = await conn.read({ signal: AbortSignal.timeout(TIMEOUT) });
      assert.equal(Buffer.from(message).toString(), 'second');
    } finally {
      await client.close();
      await server.close();
    }
  });

  test(`${name}: clients that write 16 MiB to the echo loop, read nothing and close do not stop the server process`, async () => {
    const child = spawn(process.execPath, [CHILD.pathname, String(workers)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (errors += text));
    const exited = once(child, 'exit');
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    clearTimeout(timer);
    assert.equal(signal, null, `the child did not exit within 60 s; it printed ${JSON.stringify(output)}`);
    assert.equal(code, 0, `the server process exited with ${code}: ${errors.slice(-2000)}`);
    assert.deepEqual(JSON.parse(output), { echoed: 'still serving' });
  });
}
