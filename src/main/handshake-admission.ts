/**
 * Who may start an incoming handshake (protocol.md §11.4, docs/security.md): the pool-wide bound on
 * handshakes in flight, a per-address share of it, and the count of handshakes an address let
 * time out. Without the share, one address holding `maxIncomingHandshakes` idle sockets and
 * reopening each as it is dropped let 2–5 of 80 honest dials through in 20 s; a stall that is
 * never counted costs the attacker nothing, so repeated ones greylist the address like a failed
 * handshake (protocol.md §10.2).
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
}

/** Why a socket is closed before its handshake. */
export type AdmissionRefusal = 'TOO_MANY_HANDSHAKES' | 'TOO_MANY_HANDSHAKES_FROM_ADDRESS';

/** The per-address share of the handshake budget when none is configured: a quarter (20 → 5). */
export function defaultMaxPerAddress(maxHandshakes: number): number {
  return Math.max(1, Math.floor(maxHandshakes / 4));
}

/** Addresses whose timeouts are remembered; past it the oldest are forgotten (memory stays bounded). */
const MAX_TRACKED_STALLERS = 4096;

export class HandshakeAdmission {
  private readonly options: HandshakeAdmissionOptions;
  private total = 0;
  private readonly perAddress = new Map<string, number>();
  /** Address → timeouts since its last success, in insertion order (oldest first). */
  private readonly timeouts = new Map<string, number>();

  constructor(options: HandshakeAdmissionOptions) {
    this.options = options;
  }

  /** Handshakes in flight. */
  get inFlight(): number {
    return this.total;
  }

  /** Takes a slot for `host`, or says why not. Every admitted handshake must be `release`d. */
  admit(host: string): AdmissionRefusal | undefined {
    if (this.total >= this.options.maxHandshakes) return 'TOO_MANY_HANDSHAKES';
    const held = this.perAddress.get(host) ?? 0;
    if (held >= this.options.maxPerAddress && this.total * 2 >= this.options.maxHandshakes) return 'TOO_MANY_HANDSHAKES_FROM_ADDRESS';
    this.perAddress.set(host, held + 1);
    this.total++;
    return undefined;
  }

  /** Why `admit(host)` just refused with `refusal`, with the numbers and the option that set the limit. */
  explain(refusal: AdmissionRefusal, host: string): string {
    const { maxHandshakes, maxPerAddress } = this.options;
    if (refusal === 'TOO_MANY_HANDSHAKES') return `${this.total} incoming handshakes in flight, maxIncomingHandshakes is ${maxHandshakes}`;
    return (
      `${this.perAddress.get(host) ?? 0} incoming handshakes in flight from ${host} and ${this.total} of maxIncomingHandshakes ${maxHandshakes} taken: ` +
      `past half of them one address may hold maxIncomingHandshakesPerAddress (${maxPerAddress})`
    );
  }

  /**
   * Frees `host`'s slot. `outcome`: the handshake's error code, or undefined on success. Returns
   * true when the address has now let `maxTimeouts` handshakes time out and is to be greylisted.
   */
  release(host: string, outcome: string | undefined): boolean {
    this.total--;
    const held = (this.perAddress.get(host) ?? 1) - 1;
    if (held === 0) this.perAddress.delete(host);
    else this.perAddress.set(host, held);
    if (outcome === undefined) {
      this.timeouts.delete(host);
      return false;
    }
    if (outcome !== 'TIMEOUT') return false;
    const count = (this.timeouts.get(host) ?? 0) + 1;
    this.timeouts.delete(host);
    if (count >= this.options.maxTimeouts) return true;
    this.timeouts.set(host, count);
    if (this.timeouts.size > MAX_TRACKED_STALLERS) this.timeouts.delete(this.timeouts.keys().next().value!);
    return false;
  }
}
