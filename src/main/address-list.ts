/**
 * Ban lists and greylists for addresses and peer ids (protocol.md §10.2, §11.4). A greylist entry
 * expires; a ban lasts until lifted. OCaml keeps the IP greylist in a counting Bloom filter that
 * decays over a day; an exact map with expiry has no false positives and is enough for the
 * address counts one process sees.
 */
/** Greylist size at which expired entries are first swept out. */
const FIRST_SWEEP = 1024;

export class AddressList {
  private readonly banned = new Set<string>();
  private readonly greylisted = new Map<string, number>();
  /**
   * Expired entries left only on lookup would pile up: an attacker with many addresses (an IPv6
   * prefix) is greylisted once per address and never comes back. Inserting past this
   * size sweeps them out and doubles it, so the map stays within twice its live entries at an
   * amortised O(1) per insert.
   */
  private sweepAt = FIRST_SWEEP;

  ban(key: string): void {
    this.banned.add(key);
  }

  unban(key: string): void {
    this.banned.delete(key);
    this.greylisted.delete(key);
  }

  greylist(key: string, durationMs: number, now = Date.now()): void {
    this.greylisted.set(key, now + durationMs);
    if (this.greylisted.size < this.sweepAt) return;
    for (const [entry, until] of this.greylisted) if (until <= now) this.greylisted.delete(entry);
    this.sweepAt = Math.max(FIRST_SWEEP, 2 * this.greylisted.size);
  }

  /** Greylist entries held, expired ones not yet swept included. */
  get greylistSize(): number {
    return this.greylisted.size;
  }

  /** Banned, or greylisted and not yet expired. */
  refuses(key: string, now = Date.now()): boolean {
    if (this.banned.has(key)) return true;
    const until = this.greylisted.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    this.greylisted.delete(key);
    return false;
  }
}
