/**
 * A list of 32-byte hashes kept as one packed byte array (docs/messages.md, "Hash lists").
 *
 * Mempools and locators carry up to thousands of hashes; one array for all of them makes decoding
 * one view and encoding one copy, where an array of 3,999 separate Uint8Arrays costs a few
 * hundred microseconds per message each way.
 */
import { Buffer } from 'node:buffer';

export const HASH_SIZE = 32;

export class HashList implements Iterable<Uint8Array> {
  /** The hashes back to back: `length × 32` bytes. */
  readonly bytes: Uint8Array;

  /** Takes `bytes` as is (no copy); its length must be a multiple of 32. */
  constructor(bytes: Uint8Array = new Uint8Array(0)) {
    if (bytes.length % HASH_SIZE !== 0) throw new RangeError(`a hash list has a multiple of ${HASH_SIZE} bytes, not ${bytes.length}`);
    this.bytes = bytes;
  }

  /** Packs separate 32-byte hashes. */
  static from(hashes: Iterable<Uint8Array>): HashList {
    const list = [...hashes];
    const bytes = new Uint8Array(list.length * HASH_SIZE);
    list.forEach((hash, i) => {
      if (hash.length !== HASH_SIZE) throw new RangeError(`hash #${i} has ${hash.length} bytes, not ${HASH_SIZE}`);
      bytes.set(hash, i * HASH_SIZE);
    });
    return new HashList(bytes);
  }

  get length(): number {
    return this.bytes.length / HASH_SIZE;
  }

  /** The i-th hash as a view of `bytes`, or undefined past the end. */
  at(i: number): Uint8Array | undefined {
    const index = i < 0 ? this.length + i : i;
    if (!Number.isInteger(index) || index < 0 || index >= this.length) return undefined;
    return this.bytes.subarray(index * HASH_SIZE, (index + 1) * HASH_SIZE);
  }

  *[Symbol.iterator](): Iterator<Uint8Array> {
    for (let at = 0; at < this.bytes.length; at += HASH_SIZE) yield this.bytes.subarray(at, at + HASH_SIZE);
  }

  /** The hashes sorted by bytes and without duplicates: how a node writes a mempool set. */
  toSortedSet(): HashList {
    const seen = new Map<string, Uint8Array>();
    for (const hash of this) seen.set(Buffer.from(hash.buffer, hash.byteOffset, HASH_SIZE).toString('hex'), hash);
    return HashList.from([...seen.keys()].sort().map((key) => seen.get(key)!));
  }
}
