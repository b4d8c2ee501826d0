/**
 * In-memory socket pairs for tests that must control TCP segmentation exactly: every write on
 * one end arrives as its own 'data' event on the other.
 */
import type { Socket } from 'node:net';
import { duplexPair, type Duplex } from 'node:stream';

export function memoryPair(): [Socket, Socket] {
  const [a, b] = duplexPair();
  // Like TCP, an end that goes away takes the connection with it.
  a.once('close', () => b.destroy());
  b.once('close', () => a.destroy());
  return [a as unknown as Socket, b as unknown as Socket];
}

/**
 * Two pairs joined by a relay that forwards every received buffer one byte at a time, both
 * ways: the worst segmentation a peer (or the network) can produce.
 */
export function byteAtATimePair(): [Socket, Socket] {
  const [left, relayLeft] = duplexPair();
  const [relayRight, right] = duplexPair();
  forwardBytes(relayLeft, relayRight);
  forwardBytes(relayRight, relayLeft);
  return [left as unknown as Socket, right as unknown as Socket];
}

function forwardBytes(from: Duplex, to: Duplex): void {
  from.on('data', (data: Buffer) => {
    for (let i = 0; i < data.length; i++) to.write(data.subarray(i, i + 1));
  });
  from.on('end', () => to.end());
}
