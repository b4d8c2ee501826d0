/**
 * A connection that starts its established life on 'data' events (Node's readable buffer still
 * held bytes when the session began) switches to borrowed reads (borrowed-reads.ts) in the middle
 * of a read. On 'data' events a pause only stops the stream flowing while Node's handle keeps
 * reading; in `onread` mode nothing but a pause stops the handle. A pause made during that last
 * 'data' read (a full queue, the pending budget, the turn's read budget) must still hold once the
 * switch is made: the socket went on reading into the connection's memory instead, up to the rest
 * of the turn's read budget or a whole poll's reads (32 of 256 KiB) when it had yielded. Over a
 * real loopback socket, with the transport's input listener standing in for a full queue.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { SessionTransport, type InputListener } from '../src/shared/session/transport.ts';
import { loopback, rawClient } from './support/fixtures.ts';

test('a pause made during the read that switches a socket to borrowed reads stops its reading', async () => {
  const net = await loopback();
  try {
    const client = await rawClient(net.port);
    client.on('error', () => undefined);
    const socket = await net.accepted();
    socket.on('error', () => undefined);
    // Handshake mode with no room: the first bytes pause the socket ('data' mode: Node reads on).
    const transport = new SessionTransport(socket, 0);
    client.write(Buffer.alloc(10_000, 1));
    for (let i = 0; i < 500 && transport.input.length === 0; i++) await sleep(10);
    assert.equal(transport.input.length, 10_000);
    client.write(Buffer.alloc(10_000, 2));
    for (let i = 0; i < 500 && socket.readableLength === 0; i++) await sleep(10);
    assert.equal(socket.readableLength, 10_000, "the next bytes wait in Node's readable buffer");
    // Established: the first read it takes fills the queue, and the session pauses reading.
    let reads = 0;
    const fullQueue: InputListener = {
      inputReceived: () => {
        if (reads++ === 0) transport.pause();
      },
    };
    transport.onInput = fullQueue;
    transport.resume();
    for (let i = 0; i < 500 && transport.input.length < 20_000; i++) await sleep(10);
    assert.equal(transport.input.length, 20_000);
    // The peer sends on: a paused connection must not take it.
    const more = Buffer.alloc(1 << 20, 3);
    client.write(more);
    await sleep(500);
    assert.equal(transport.input.length, 20_000, `read while paused: ${transport.input.length - 20_000} bytes`);
    transport.resume();
    for (let i = 0; i < 500 && transport.input.length < 20_000 + more.length; i++) await sleep(10);
    assert.equal(transport.input.length, 20_000 + more.length, 'reading goes on once resumed');
    client.destroy();
  } finally {
    await net.close();
  }
});
