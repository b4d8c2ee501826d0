/**
 * Seeded record streams for the ring tests: both ends rebuild the same sequence from the seed,
 * so the consumer checks every record byte for byte without any side channel.
 *
 * Record `seq` (0, 1, 2, …): connection id = seq, kind = `kindOf(seq)`, payload length from the
 * seeded length stream, payload:
 * - length ≥ 12: [CANARY_HEAD u32 LE][seq u32 LE][body: per-record xorshift bytes][CANARY_TAIL u32 LE]
 * - length < 12: bytes (seq + 59·i) & 0xff (too short for canaries)
 * A byte written past or before a slot, a torn record, a lost, duplicated or reordered record
 * all fail the check, which names the seed and the sequence number.
 */
import type { RingProducer } from '../../src/shared/ring/record-ring.ts';

export const CANARY_HEAD = 0xc0ffee11;
export const CANARY_TAIL = 0x5ca1ab1e;
/** Canaries and the sequence number around the body. */
export const FRAMED_OVERHEAD = 12;

/** mulberry32: a tiny seeded PRNG (u32 output), plenty for test data. */
export class Prng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** Next u32. */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.next() / 2 ** 32) * n);
  }
}

/** A seed from the environment (`RING_SEED`) to replay a failure, else a fresh one. */
export function testSeed(): number {
  const text = process.env['RING_SEED'];
  if (text !== undefined && text !== '') return Number(text) >>> 0;
  return (Math.random() * 2 ** 32) >>> 0;
}

export function kindOf(seq: number): number {
  return Math.imul(seq, 40503) >>> 16;
}

/** How payload lengths are drawn: uniform in [0, max], or mostly small with some large. */
export interface LengthPlan {
  readonly max: number;
  /** Fraction of records drawn from [0, smallMax] instead of [0, max] (default 0). */
  readonly smallShare?: number;
  readonly smallMax?: number;
}

/** The sequence of payload lengths of a seeded stream. */
export class LengthStream {
  readonly #prng: Prng;
  readonly #plan: LengthPlan;
  constructor(seed: number, plan: LengthPlan) {
    this.#prng = new Prng(seed ^ 0x1234567);
    this.#plan = plan;
  }
  next(): number {
    const { max, smallShare = 0, smallMax = max } = this.#plan;
    const small = smallShare > 0 && this.#prng.next() / 2 ** 32 < smallShare;
    return this.#prng.below((small ? smallMax : max) + 1);
  }
}

function writeU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value & 0xff;
  bytes[at + 1] = (value >>> 8) & 0xff;
  bytes[at + 2] = (value >>> 16) & 0xff;
  bytes[at + 3] = value >>> 24;
}

function readU32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/** Per-record body stream: xorshift32 seeded by seed and seq. */
function bodyState(seed: number, seq: number): number {
  return (Math.imul(seq + 1, 0x9e3779b1) ^ seed) | 1;
}

/** Writes record `seq`'s payload into `out` (its whole length). */
export function fillPayload(seed: number, seq: number, out: Uint8Array): void {
  const length = out.length;
  if (length < FRAMED_OVERHEAD) {
    for (let i = 0; i < length; i++) out[i] = (seq + 59 * i) & 0xff;
    return;
  }
  writeU32(out, 0, CANARY_HEAD);
  writeU32(out, 4, seq);
  let x = bodyState(seed, seq);
  const end = length - 4;
  for (let i = 8; i < end; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  writeU32(out, end, CANARY_TAIL);
}

/** Why record `seq` (expected `length` payload bytes) is wrong, or undefined when it is right. */
export function recordProblem(
  seed: number,
  seq: number,
  length: number,
  connectionId: number,
  kind: number,
  payload: Uint8Array,
): string | undefined {
  if (connectionId !== seq) return `connection id ${connectionId} (record lost, duplicated or reordered)`;
  if (kind !== kindOf(seq)) return `kind ${kind}, expected ${kindOf(seq)}`;
  if (payload.length !== length) return `length ${payload.length}, expected ${length}`;
  if (length < FRAMED_OVERHEAD) {
    for (let i = 0; i < length; i++) if (payload[i] !== ((seq + 59 * i) & 0xff)) return `short payload byte ${i}`;
    return undefined;
  }
  if (readU32(payload, 0) !== CANARY_HEAD) return `head canary ${readU32(payload, 0).toString(16)}`;
  if (readU32(payload, 4) !== seq) return `sequence number ${readU32(payload, 4)} inside the payload`;
  const end = length - 4;
  if (readU32(payload, end) !== CANARY_TAIL) return `tail canary ${readU32(payload, end).toString(16)}`;
  let x = bodyState(seed, seq);
  for (let i = 8; i < end; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    if (payload[i] !== (x & 0xff)) return `body byte ${i}`;
  }
  return undefined;
}

/** Consumer side: checks records as they arrive against the seeded stream. */
export class RecordChecker {
  readonly seed: number;
  readonly #lengths: LengthStream;
  /** Next expected sequence number = records checked. */
  seq = 0;
  bytes = 0;
  constructor(seed: number, plan: LengthPlan) {
    this.seed = seed;
    this.#lengths = new LengthStream(seed, plan);
  }
  /** A `RecordVisitor`; throws on the first wrong record. */
  readonly visit = (connectionId: number, kind: number, payload: Uint8Array): void => {
    const seq = this.seq;
    const problem = recordProblem(this.seed, seq, this.#lengths.next(), connectionId, kind, payload);
    if (problem !== undefined) throw new Error(`ring record #${seq} (seed ${this.seed}): ${problem}`);
    this.seq = seq + 1;
    this.bytes += payload.length;
  };
}

export interface ProduceHooks {
  /** Post one wake-up to the consumer. */
  readonly wake: () => void;
  /** Resolves when the consumer signals space (after `prepareToWaitForSpace` said to wait). */
  readonly spaceSignal: () => Promise<void>;
}

export interface ProduceStats {
  readonly records: number;
  readonly wakes: number;
  readonly spaceWaits: number;
}

/**
 * Writes records 0..count-1 of the seeded stream through `producer`: even records with
 * `tryWrite` (odd-length ones as two parts), odd records with `reserve`/`commit`, the doorbell
 * rung whenever `needsWake` says so, and a wait for the space signal when the ring is full.
 */
export async function produceRecords(producer: RingProducer, seed: number, plan: LengthPlan, count: number, hooks: ProduceHooks): Promise<ProduceStats> {
  const lengths = new LengthStream(seed, plan);
  const scratch = new Uint8Array(plan.max);
  let wakes = 0;
  let spaceWaits = 0;
  /** Hysteresis: wait for a quarter of the ring, not just one record. */
  const extra = producer.capacity >> 2;
  for (let seq = 0; seq < count; ) {
    const length = lengths.next();
    for (;;) {
      let written: boolean;
      if ((seq & 1) === 0) {
        const payload = scratch.subarray(0, length);
        fillPayload(seed, seq, payload);
        const half = length >> 1;
        written = producer.tryWrite(seq, kindOf(seq), (length & 1) === 0 ? payload : [payload.subarray(0, half), payload.subarray(half)]);
      } else {
        const slot = producer.reserve(seq, kindOf(seq), length);
        written = slot !== undefined;
        if (slot !== undefined) {
          fillPayload(seed, seq, slot);
          producer.commit();
        }
      }
      if (producer.needsWake()) {
        wakes++;
        hooks.wake();
      }
      if (written) break;
      if (producer.prepareToWaitForSpace(length, extra)) {
        spaceWaits++;
        await hooks.spaceSignal();
      }
    }
    seq++;
  }
  return { records: count, wakes, spaceWaits };
}

/**
 * A resolver for "the next space signal", fed by a message handler. A signal with nobody
 * waiting is a spurious one (the producer withdrew its wait after the consumer had claimed it)
 * and is dropped: a real one always finds its waiter, because the producer starts waiting in the
 * same synchronous step as it arms the flag, before any message can be handled.
 */
export class SpaceSignals {
  #pending: (() => void) | undefined;
  spurious = 0;
  next(): Promise<void> {
    return new Promise((resolve) => {
      this.#pending = resolve;
    });
  }
  signal(): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending) pending();
    else this.spurious++;
  }
}
