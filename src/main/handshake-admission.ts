/**
 * Who may start an incoming handshake (protocol.md §11.4, docs/security.md): the pool-wide bound on
 * handshakes in flight, a per-address share of it, the count of handshakes an address let time
 * out, and, when every slot is taken, the eviction of the handshake that has been silent longest.
 *
 * Without the share, one address holding `maxIncomingHandshakes` idle sockets and reopening each
 * as it is dropped let 2–5 of 80 honest dials through in 20 s; a stall that is never counted costs
 * the attacker nothing, so repeated ones greylist the address like a failed handshake (protocol.md
 * §10.2). Neither helps against idle sockets spread over hundreds of addresses: refusing newcomers
 * while the slots are full let none of 80 honest dials through. So a newcomer takes the slot of a
 * handshake that is waiting on its peer and has sent nothing, or nothing for `minIdleMs`: a peer
 * that speaks keeps its slot, one that sends nothing loses it to the next arrival. An eviction
 * after `minIdleMs` of silence counts as one of its address's timeouts; a quicker one says little
 * about the peer (a loaded shard may not have read an honest peer's first bytes yet, and three
 * such in a row would greylist it), so it only puts the address's handshakes first in line for
 * the next eviction.
 *
 * Runs on the main thread for both pool modes: admission happens before a socket is handed to a
 * shard (architecture.md §2).
 */

export interface HandshakeAdmissionOptions {
  /** Incoming handshakes in flight, all addresses together. */
  readonly maxHandshakes: number;
  /**
   * Incoming handshakes in flight from one address once half the budget is taken. Below that an
   * address may borrow free slots (a node, a test or a load generator dialling many at once), so
   * the share bites only under pressure, and at worst one address holds half the slots.
   */
  readonly maxPerAddress: number;
  /** Handshake timeouts from one address (with no success between) that greylist it. */
  readonly maxTimeouts: number;
  /**
   * How long a handshake that has received bytes keeps its slot without receiving more, when the
   * slots are full. One that has received nothing has no such grace.
   */
  readonly minIdleMs: number;
}

/** Why a socket is closed before its handshake. */
export type AdmissionRefusal = 'TOO_MANY_HANDSHAKES' | 'TOO_MANY_HANDSHAKES_FROM_ADDRESS';

/** What admission sees of a handshake it let in, and how it ends one to free its slot. */
export interface AdmittedHandshake {
  /** Bytes received from the peer so far. */
  received(): number;
  /** True while the connection waits on the peer (handshake messages, its Ack): only then may it be evicted. */
  waitingOnPeer(): boolean;
  /** Ends the handshake (TIMEOUT): a newcomer takes its slot. `reason` says why, with the numbers. */
  evict(reason: string): void;
}

/** One slot in use: `admit` hands it out, `release` takes it back. */
export class AdmissionSlot {
  readonly host: string;
  readonly handshake: AdmittedHandshake;
  /** Bytes received when last looked at, and when that count last grew (at first: admitted). */
  received = 0;
  progressAt: number;
  /** Given to a newcomer already (evicted): its release only counts the outcome. */
  freed = false;
  /** Evicted before `minIdleMs` of silence: not a stall that greylists. */
  evictedEarly = false;
  /**
   * Admitted before the engine could serve (shard workers still starting): its deadline ran while
   * it waited for a shard, so its timeout is the pool's delay, not a stall that greylists.
   */
  beforeEngineReady = false;

  constructor(host: string, handshake: AdmittedHandshake, now: number) {
    this.host = host;
    this.handshake = handshake;
    this.progressAt = now;
  }
}

/** The per-address share of the handshake budget when none is configured: a quarter (20 → 5). */
export function defaultMaxPerAddress(maxHandshakes: number): number {
  return Math.max(1, Math.floor(maxHandshakes / 4));
}

/** How long a handshake that has spoken keeps its slot under pressure by default: a quarter of its deadline. */
export function defaultMinIdleMs(handshakeTimeout: number): number {
  return Math.floor(handshakeTimeout / 4);
}

/** Addresses whose timeouts are remembered; past it the oldest are forgotten (memory stays bounded). */
const MAX_TRACKED_STALLERS = 4096;

export class HandshakeAdmission {
  private readonly options: HandshakeAdmissionOptions;
  private readonly slots = new Set<AdmissionSlot>();
  private readonly perAddress = new Map<string, number>();
  /** Address → timeouts (early evictions apart) since its last success, in insertion order (oldest first). */
  private readonly timeouts = new Map<string, number>();
  /** Address → early evictions since its last success, likewise: it orders eviction, nothing more. */
  private readonly earlyEvictions = new Map<string, number>();

  constructor(options: HandshakeAdmissionOptions) {
    this.options = options;
  }

  /** Handshakes in flight. */
  get inFlight(): number {
    return this.slots.size;
  }

  /**
   * Takes a slot for `handshake` from `host`, evicting the stalest handshake when all are taken,
   * or says why not. Every slot handed out must be `release`d.
   */
  admit(host: string, handshake: AdmittedHandshake, now = Date.now()): AdmissionSlot | AdmissionRefusal {
    const { maxHandshakes, maxPerAddress } = this.options;
    const held = this.perAddress.get(host) ?? 0;
    const overShare = held >= maxPerAddress && this.slots.size * 2 >= maxHandshakes;
    if (this.slots.size >= maxHandshakes) {
      // An address past its share does not get to evict others.
      const victim = overShare ? undefined : this.stalest(now);
      if (!victim) return 'TOO_MANY_HANDSHAKES';
      this.free(victim);
      victim.evictedEarly = now - victim.progressAt < this.options.minIdleMs;
      victim.handshake.evict(this.evictionReason(victim, now));
    } else if (overShare) return 'TOO_MANY_HANDSHAKES_FROM_ADDRESS';
    const slot = new AdmissionSlot(host, handshake, now);
    this.slots.add(slot);
    // Counted again: the evicted handshake may have been this address's.
    this.perAddress.set(host, (this.perAddress.get(host) ?? 0) + 1);
    return slot;
  }

  /** Why `admit(host)` just refused with `refusal`, with the numbers and the option that set the limit. */
  explain(refusal: AdmissionRefusal, host: string): string {
    const { maxHandshakes, maxPerAddress } = this.options;
    const total = this.slots.size;
    const held = this.perAddress.get(host) ?? 0;
    if (refusal === 'TOO_MANY_HANDSHAKES') {
      const why =
        held >= maxPerAddress
          ? `${host} already holds its share (maxIncomingHandshakesPerAddress ${maxPerAddress}), so it may not evict another's`
          : 'every one is progressing or waiting on us, none silent for long enough to give up its slot';
      return `${total} incoming handshakes in flight, maxIncomingHandshakes is ${maxHandshakes}: ${why}`;
    }
    return (
      `${held} incoming handshakes in flight from ${host} and ${total} of maxIncomingHandshakes ${maxHandshakes} taken: ` +
      `past half of them one address may hold maxIncomingHandshakesPerAddress (${maxPerAddress})`
    );
  }

  /**
   * Gives `slot` back. `outcome`: the handshake's error code, or undefined on success. Returns
   * true when its address has now let `maxTimeouts` handshakes time out (evictions included, those
   * admitted before the engine was ready not) and is to be greylisted.
   */
  release(slot: AdmissionSlot, outcome: string | undefined): boolean {
    this.free(slot);
    const { host } = slot;
    if (outcome === undefined) {
      this.timeouts.delete(host);
      this.earlyEvictions.delete(host);
      return false;
    }
    if (outcome !== 'TIMEOUT' || slot.beforeEngineReady) return false;
    if (slot.evictedEarly) {
      bump(this.earlyEvictions, host);
      return false;
    }
    if (bump(this.timeouts, host) < this.options.maxTimeouts) return false;
    this.timeouts.delete(host);
    return true;
  }

  private free(slot: AdmissionSlot): void {
    if (slot.freed) return;
    slot.freed = true;
    this.slots.delete(slot);
    const held = (this.perAddress.get(slot.host) ?? 1) - 1;
    if (held === 0) this.perAddress.delete(slot.host);
    else this.perAddress.set(slot.host, held);
  }

  /**
   * The handshake to evict, among those waiting on their peer that have received nothing or
   * nothing for `minIdleMs` (progress is the received byte count growing between two looks):
   * from the address with the most timeouts and evictions since its last success, then the one whose last
   * progress is oldest. An address that keeps stalling loses its handshakes before one that
   * completes them, whose newest handshake may not have been read yet (a shard reads it).
   * Undefined when every handshake is progressing or past its peer's part.
   */
  private stalest(now: number): AdmissionSlot | undefined {
    let stalest: AdmissionSlot | undefined;
    let stalestTimeouts = 0;
    for (const slot of this.slots) {
      if (!slot.handshake.waitingOnPeer()) continue;
      const received = slot.handshake.received();
      if (received !== slot.received) {
        slot.received = received;
        slot.progressAt = now;
      }
      if (received > 0 && now - slot.progressAt < this.options.minIdleMs) continue;
      const timeouts = (this.timeouts.get(slot.host) ?? 0) + (this.earlyEvictions.get(slot.host) ?? 0);
      if (!stalest || timeouts > stalestTimeouts || (timeouts === stalestTimeouts && slot.progressAt < stalest.progressAt)) {
        stalest = slot;
        stalestTimeouts = timeouts;
      }
    }
    return stalest;
  }

  private evictionReason(slot: AdmissionSlot, now: number): string {
    const silent = slot.received === 0 ? `sent nothing in ${now - slot.progressAt} ms` : `sent ${slot.received} bytes, then nothing for ${now - slot.progressAt} ms`;
    return `evicted after it ${silent}: all ${this.options.maxHandshakes} incoming handshake slots were taken (maxIncomingHandshakes) and a new connection arrived`;
  }
}

/** Adds one to `host`'s count, moving it last; past MAX_TRACKED_STALLERS the oldest is forgotten. */
function bump(counts: Map<string, number>, host: string): number {
  const count = (counts.get(host) ?? 0) + 1;
  counts.delete(host);
  counts.set(host, count);
  if (counts.size > MAX_TRACKED_STALLERS) counts.delete(counts.keys().next().value!);
  return count;
}
