/**
 * Ban lists and greylists for addresses and peer ids (protocol.md §10.2, §11.4). A greylist entry
 * expires; a ban lasts until lifted. OCaml keeps the IP greylist in a counting Bloom filter that
 * decays over a day; an exact map with expiry has no false positives and is enough for the
 * address counts one process sees.
 */
export class AddressList {
  private readonly banned = new Set<string>();
  private readonly greylisted = new Map<string, number>();

  ban(key: string): void {
    this.banned.add(key);
  }

  unban(key: string): void {
    this.banned.delete(key);
    this.greylisted.delete(key);
  }

  greylist(key: string, durationMs: number, now = Date.now()): void {
    this.greylisted.set(key, now + durationMs);
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
