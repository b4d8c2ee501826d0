/**
 * Hostile peer behaviours for the socket-level fuzzer: a fast-check arbitrary of
 * scripts built from valid and mutated handshake steps (protocol.md §11.1, §11.3) and framed
 * messages (§9.1), and an interpreter that plays one over a real socket, cutting every write at
 * random points, pausing, then ending with a FIN, a reset or a silent hold.
 */
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { channelKey } from '../../src/shared/crypto/box.ts';
import { deriveNonces } from '../../src/shared/crypto/nonce.ts';
import type { Identity } from '../../src/shared/identity.ts';
import { ChunkSealer } from '../../src/shared/session/chunk-cipher.ts';
import { MAX_CHUNK_CONTENT } from '../../src/shared/session/chunk-layout.ts';
import { encodeStream } from '../../src/shared/session/encoded-message.ts';
import { SessionTransport } from '../../src/shared/session/transport.ts';
import { encodeAck } from '../../src/shared/wire/ack.ts';
import { encodeConnectionMessage } from '../../src/shared/wire/connection-message.ts';
import { TEST_VERSION } from './fixtures.ts';

/** Overwrites `bytes[at % length]` with `value`. */
type Edit = readonly [at: number, value: number];

export type Step =
  /** Our connection message, maybe with edited bytes or a wrong announced length. */
  | { readonly kind: 'hello'; readonly edits: readonly Edit[]; readonly lengthDelta: number; readonly keep?: number | null }
  /** Reads the server's connection message and derives the session keys. */
  | { readonly kind: 'readHello' }
  /** One sealed chunk carrying `plain` (empty = valid empty metadata), maybe garbled on the wire. */
  | { readonly kind: 'chunk'; readonly plain: Uint8Array; readonly edits: readonly Edit[] }
  /** Our Ack (or Nack) as a sealed chunk. */
  | { readonly kind: 'ack'; readonly which: 'ack' | 'nack' | 'nack_v0' }
  /** A framed message (announced length off by `lengthDelta`) sealed into chunks of `chunkContent`. */
  | { readonly kind: 'message'; readonly body: Uint8Array; readonly lengthDelta: number; readonly chunkContent: number }
  | { readonly kind: 'raw'; readonly bytes: Uint8Array }
  | { readonly kind: 'pause'; readonly ms: number };

export interface Behaviour {
  readonly steps: readonly Step[];
  /** Sizes every write is cut into (cycled). */
  readonly cuts: readonly number[];
  /** How the peer ends after its steps: FIN, reset, or wait silently for the server to close. */
  readonly ending: 'end' | 'reset' | 'hold';
}

const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 });
const someBytes = (maxLength: number) => fc.uint8Array({ maxLength });

/** Zero and the extremes weigh as much as the middle: the bugs live at the edges. */
const lengthDelta = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: -8, max: 8 }), fc.constantFrom(-0x7fffffff, 0x7fffffff, 0xffff));

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('hello' as const),
    edits,
    // -90 announces an empty body, +65445 the longest one (protocol.md §1.1).
    lengthDelta: fc.oneof(fc.constant(0), fc.constantFrom(-90, -89, 65445), fc.integer({ min: -200, max: 200 })),
    // Send only the first `keep` bytes (the rest never comes).
    keep: fc.option(fc.integer({ min: 0, max: 120 })),
  }),
  fc.constant({ kind: 'readHello' as const }),
  fc.record({ kind: fc.constant('chunk' as const), plain: someBytes(64), edits }),
  fc.record({ kind: fc.constant('ack' as const), which: fc.constantFrom('ack' as const, 'nack' as const, 'nack_v0' as const) }),
  fc.record({ kind: fc.constant('message' as const), body: someBytes(3000), lengthDelta, chunkContent: fc.integer({ min: 1, max: MAX_CHUNK_CONTENT }) }),
  fc.record({
    kind: fc.constant('raw' as const),
    bytes: fc.oneof(someBytes(8), fc.constantFrom(Uint8Array.of(0, 0), Uint8Array.of(0xff, 0xff), Uint8Array.of(0, 0x0f), Uint8Array.of(0, 0x10))),
  }),
  fc.record({ kind: fc.constant('pause' as const), ms: fc.integer({ min: 0, max: 30 }) }),
);

/** The honest order; a behaviour keeps a prefix of it, then goes its own way. */
const HONEST: readonly Step[] = [
  { kind: 'hello', edits: [], lengthDelta: 0 },
  { kind: 'readHello' },
  { kind: 'chunk', plain: new Uint8Array(0), edits: [] },
  { kind: 'ack', which: 'ack' },
  { kind: 'message', body: Uint8Array.of(1, 2, 3), lengthDelta: 0, chunkContent: MAX_CHUNK_CONTENT },
];

export const behaviourArbitrary: fc.Arbitrary<Behaviour> = fc
  .record({
    honest: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: HONEST.length })),
    tail: fc.array(stepArbitrary, { maxLength: 4 }),
    cuts: fc.array(fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 70_000 })), { minLength: 1, maxLength: 6 }),
    ending: fc.constantFrom('end' as const, 'end' as const, 'reset' as const, 'hold' as const),
  })
  .map(({ honest, tail, cuts, ending }) => ({ steps: [...HONEST.slice(0, honest), ...tail], cuts, ending }));

function edited(bytes: Buffer, changes: readonly Edit[]): Buffer {
  const out = Buffer.from(bytes);
  for (const [at, value] of changes) if (out.length > 0) out[at % out.length] = value;
  return out;
}

/**
 * Plays `behaviour` as the initiator on a connected socket. Never throws: the server may close
 * at any point, which just ends the script. Resolves once the socket is closed; a `hold` waits
 * at most `holdMs` for the server to close before destroying it, and resolves `true` then: the
 * server kept the socket open that long, which only an established connection may do.
 */
export async function playBehaviour(socket: Socket, identity: Identity, behaviour: Behaviour, holdMs: number): Promise<boolean> {
  socket.on('error', () => undefined);
  const transport = new SessionTransport(socket, 1 << 20);
  let sent: Buffer | undefined;
  let sealer: ChunkSealer | undefined;
  let cut = 0;
  const send = async (bytes: Buffer): Promise<void> => {
    for (let at = 0; at < bytes.length && !socket.destroyed; ) {
      const size = behaviour.cuts[cut++ % behaviour.cuts.length]!;
      socket.write(bytes.subarray(at, at + size));
      at += size;
      // A turn of the event loop between pieces, so they leave as separate segments.
      if (at < bytes.length) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const sealed = (plain: Buffer): Buffer => {
    const encoded = encodeStream(plain, Math.max(MAX_CHUNK_CONTENT, plain.length));
    encoded.consume();
    // Without keys (no hello read yet) the peer can only send look-alike garbage.
    return sealer ? Buffer.from(sealer.seal(encoded)) : Buffer.from(encoded.buffer);
  };
  try {
    for (const step of behaviour.steps) {
      if (socket.destroyed) break;
      switch (step.kind) {
        case 'hello': {
          const valid = encodeConnectionMessage({
            port: undefined,
            publicKey: identity.publicKey,
            proofOfWorkStamp: identity.proofOfWorkStamp,
            messageNonce: Buffer.alloc(24, 7),
            version: TEST_VERSION,
          });
          const bytes = edited(valid, step.edits);
          bytes.writeUInt16BE(Math.max(0, Math.min(0xffff, bytes.readUInt16BE(0) + step.lengthDelta)), 0);
          sent = bytes;
          await send(step.keep == null ? bytes : bytes.subarray(0, step.keep));
          break;
        }
        case 'readHello': {
          const received = await readHello(transport);
          if (!received || !sent) break;
          const key = channelKey(identity.secretKey, Buffer.from(received.subarray(4, 36)));
          const nonces = deriveNonces(sent, received, false);
          sealer = new ChunkSealer(key, nonces.local);
          break;
        }
        case 'chunk': {
          const wire = sealed(Buffer.from(step.plain));
          await send(step.edits.length > 0 ? Buffer.concat([wire.subarray(0, 2), edited(wire.subarray(2), step.edits)]) : wire);
          break;
        }
        case 'ack':
          await send(sealed(encodeAck(step.which === 'nack' ? { kind: 'nack', motive: 0, points: [] } : { kind: step.which })));
          break;
        case 'message': {
          const prefix = Buffer.alloc(4);
          prefix.writeUInt32BE(Math.max(0, Math.min(0xffffffff, step.body.length + step.lengthDelta)));
          const stream = Buffer.concat([prefix, step.body]);
          for (let at = 0; at < stream.length; at += step.chunkContent) await send(sealed(stream.subarray(at, at + step.chunkContent)));
          break;
        }
        case 'raw':
          await send(Buffer.from(step.bytes));
          break;
        case 'pause':
          await sleep(step.ms);
          break;
      }
    }
  } catch {
    // The socket went away under a write: the server closed, which is an allowed outcome.
  }
  // After the server's FIN the socket ends itself (allowHalfOpen is off), and a reset while that
  // shutdown is still queued fails in libuv (uv_tcp_close_reset: EINVAL) yet leaves Node's handle
  // marked closing: it is never closed, no 'close' comes, and at exit Node spins in its handle
  // cleanup forever (Node 24; test/fuzz-peer-reset-exit.test.ts). A peer that has already sent
  // its FIN can only close.
  if (behaviour.ending === 'reset') {
    if (socket.writableEnded) socket.destroy();
    else socket.resetAndDestroy();
  } else if (behaviour.ending === 'end') socket.end();
  const forced = await closedOrDestroyed(socket, behaviour.ending === 'hold' ? holdMs : 2000);
  return forced && behaviour.ending === 'hold';
}

/** The server's connection message with its prefix, or `undefined` if the socket ended first. */
async function readHello(transport: SessionTransport): Promise<Buffer | undefined> {
  const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2000).unref());
  const read = (async () => {
    const prefix = await transport.readExact(2);
    const body = await transport.readExact(prefix.readUInt16BE(0));
    return Buffer.concat([prefix, body]);
  })().catch(() => undefined);
  return Promise.race([read, timeout]);
}

/** Waits up to `ms` for the socket to close, then destroys it; true when it had to. */
async function closedOrDestroyed(socket: Socket, ms: number): Promise<boolean> {
  if (socket.closed) return false;
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let forced = false;
  const timer = setTimeout(() => {
    forced = !socket.closed;
    socket.destroy();
  }, ms);
  await closed;
  clearTimeout(timer);
  return forced;
}
