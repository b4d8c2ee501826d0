/**
 * The costs bench/load.ts measures in its own process before the runs, which some workloads
 * subtract from what they measure: raw secretbox on a bulk message's chunks (W1: the crypto part
 * of each side's CPU per message), and the CPU floor of one of our handshakes (W3: its X25519
 * agreements and a loopback TCP connect and close, both sides together).
 */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import sodium from 'sodium-native';
import { MAX_CHUNK_CONTENT } from '../../src/shared/session/chunk-layout.ts';
import { MESSAGE_PREFIX_LENGTH } from '../../src/shared/session/encoded-message.ts';
import { secretboxRate, secretboxUs, spread, threadCpuUsPerCall, type Spread } from '../common.ts';
import { HOST } from './common.ts';
import type { Floors, LoadOptions } from './workload.ts';

/** X25519 agreements in one of our handshakes, both sides: each side computes the channel key once (protocol.md §4.1). */
export const X25519_PER_HANDSHAKE = 2;

/** Plaintext bytes of each chunk a message of `size` bytes is sent in (its length prefix included). */
export function chunkContentSizes(size: number): number[] {
  const sizes: number[] = [];
  for (let left = MESSAGE_PREFIX_LENGTH + size; left > 0; left -= MAX_CHUNK_CONTENT) sizes.push(Math.min(left, MAX_CHUNK_CONTENT));
  return sizes;
}

/** CPU µs of one `crypto_scalarmult` (X25519) on this thread, over ~`ms` of wall time. */
export function x25519Us(ms: number): number {
  const secret = Buffer.alloc(32, 7);
  const peer = Buffer.alloc(32);
  sodium.crypto_scalarmult_base(peer, Buffer.alloc(32, 9));
  const shared = Buffer.alloc(32);
  return threadCpuUsPerCall(ms, () => sodium.crypto_scalarmult(shared, secret, peer));
}

/**
 * CPU µs of this process per loopback TCP connection, both ends in it: connect, accept, the
 * client's FIN, the server's FIN back, both closes. `count` connections, `inFlight` at a time.
 */
export async function tcpConnectCloseUs(count: number, inFlight: number): Promise<number> {
  const server = createServer((socket: Socket) => {
    socket.on('error', () => undefined);
    socket.on('end', () => socket.end());
  });
  server.listen(0, HOST);
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const one = async (): Promise<void> => {
    const socket = connect({ host: HOST, port });
    socket.setTimeout(5000, () => socket.destroy()); // a stuck connection cannot hold the run
    socket.on('error', () => undefined);
    socket.on('connect', () => socket.end());
    socket.resume();
    await once(socket, 'close');
  };
  const run = async (n: number): Promise<void> => {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next++ < n) await one();
    };
    await Promise.all(Array.from({ length: Math.min(inFlight, n) }, lane));
  };
  try {
    await run(Math.ceil(count / 10)); // warm-up
    const before = process.cpuUsage();
    await run(count);
    const used = process.cpuUsage(before);
    return (used.user + used.system) / count;
  } finally {
    server.close();
  }
}

/** What measureFloors found: the floors for the workloads' metrics, and raw secretbox MB/s for the table. */
export interface MeasuredFloors {
  readonly floors: Floors;
  /** Raw secretbox seal / open MB/s on `bulkMessageSize` bytes (W1's crypto ceiling of one side). */
  readonly secretbox?: { readonly seal: Spread; readonly open: Spread };
  /** Parts of the W3 floor, µs. */
  readonly handshake?: { readonly x25519Us: number; readonly tcpUs: number };
}

/** Measures the floors the selected workloads need (`bulk`: W1, `handshake`: W3), each the median of `options.repeats` tries. */
export async function measureFloors(needs: { readonly bulk: boolean; readonly handshake: boolean }, options: LoadOptions): Promise<MeasuredFloors> {
  const repeat = (measure: () => number): number => spread(Array.from({ length: options.repeats }, measure)).median;
  let floors: Floors = {};
  let secretbox: MeasuredFloors['secretbox'];
  let handshake: MeasuredFloors['handshake'];
  if (needs.bulk) {
    const chunks = chunkContentSizes(options.bulkMessageSize);
    secretboxRate('seal', options.bulkMessageSize, 200); // warm-up
    const seals: number[] = [];
    const opens: number[] = [];
    for (let i = 0; i < options.repeats; i++) {
      seals.push(secretboxRate('seal', options.bulkMessageSize, 500));
      opens.push(secretboxRate('open', options.bulkMessageSize, 500));
    }
    secretbox = { seal: spread(seals), open: spread(opens) };
    floors = { ...floors, sealUsPerMessage: repeat(() => secretboxUs('seal', chunks, 300)), openUsPerMessage: repeat(() => secretboxUs('open', chunks, 300)) };
  }
  if (needs.handshake) {
    x25519Us(100); // warm-up
    const x25519 = repeat(() => x25519Us(300));
    const tcps: number[] = [];
    for (let i = 0; i < options.repeats; i++) tcps.push(await tcpConnectCloseUs(2000, 16));
    const tcpUs = spread(tcps).median;
    handshake = { x25519Us: x25519, tcpUs };
    floors = { ...floors, handshakeFloorUs: X25519_PER_HANDSHAKE * x25519 + tcpUs };
  }
  return { floors, ...(secretbox ? { secretbox } : {}), ...(handshake ? { handshake } : {}) };
}
