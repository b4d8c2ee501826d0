/**
 * Ban lists and greylists for addresses and peer ids (protocol.md §10.2, §11.4). A greylist entry
 * expires; a ban lasts until lifted. OCaml keeps the IP greylist in a counting Bloom filter that
 * decays over a day; an exact map with expiry has no false positives and is enough for the
 * address counts one process sees.
 */
/** Greylist size at which expired entries are first swept out. */
const FIRST_SWEEP = 1024;

/** Why a key is refused: banned (no `until`), or greylisted until a time after a failure `code`. */
export interface ListedEntry {
  /** Milliseconds since the epoch when the greylisting ends; undefined for a ban. */
  readonly until: number | undefined;
  /** The failure that greylisted it (NOT_ENOUGH_PROOF_OF_WORK, TIMEOUT …), when one was given. */
  readonly code: string | undefined;
}

const BANNED: ListedEntry = { until: undefined, code: undefined };

export class AddressList {
  private readonly banned = new Set<string>();
  private readonly greylisted = new Map<string, ListedEntry & { readonly until: number }>();
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

  /** Refuses `key` for `durationMs`; `code`: the failure that got it greylisted. */
  greylist(key: string, durationMs: number, now = Date.now(), code?: string): void {
    this.greylisted.set(key, { until: now + durationMs, code });
    if (this.greylisted.size < this.sweepAt) return;
    for (const [entry, { until }] of this.greylisted) if (until <= now) this.greylisted.delete(entry);
    this.sweepAt = Math.max(FIRST_SWEEP, 2 * this.greylisted.size);
  }

  /** Greylist entries held, expired ones not yet swept included. */
  get greylistSize(): number {
    return this.greylisted.size;
  }

  /** Banned, or greylisted and not yet expired. */
  refuses(key: string, now = Date.now()): boolean {
    return this.entry(key, now) !== undefined;
  }

  /** Why `key` is refused, or undefined when it is not. */
  entry(key: string, now = Date.now()): ListedEntry | undefined {
    if (this.banned.has(key)) return BANNED;
    const entry = this.greylisted.get(key);
    if (entry === undefined) return undefined;
    if (entry.until > now) return entry;
    this.greylisted.delete(key);
    return undefined;
  }
}
