/**
 * Small byte strings a connection keeps for its whole life (its channel key, its two running
 * nonces, the peer's public key), packed into slabs of their own.
 *
 * `Buffer.from(bytes)` copies a small value into Node's shared 64 KiB allocation pool, and a view
 * of a received buffer keeps the whole read alive: either way, the 32- and 24-byte values every
 * connection keeps would pin 64 KiB slabs shared with the handshake's transient buffers
 * (bench/idle-memory.ts measures the memory of idle connections).
 * Here a 4 KiB slab holds the long-lived values of ~40 connections and nothing else; one
 * connection that outlives the others of its slab pins at most 4 KiB.
 *
 * Secret material and public values use different slabs (`secretBytes`, `publicBytes`), so the
 * `.buffer` of a public key handed to the application never reaches a key.
 */
const SLAB_SIZE = 4096;

/** Bytes copied by `LongLivedBytes.place`: they lie in `slab` from `at`. */
export interface PlacedBytes {
  readonly slab: Buffer;
  readonly at: number;
}

export class LongLivedBytes {
  private slab: Buffer | undefined;
  private used = 0;

  /** A copy of `bytes` in a slab of long-lived values (unpooled, zero-filled, aligned to 8 bytes). */
  copy(bytes: Uint8Array): Buffer {
    const { slab, at } = this.place(bytes);
    return slab.subarray(at, at + bytes.length);
  }

  /**
   * The same copy, as the slab that holds it and its offset there: a holder that keeps the slab
   * and the offset shares one view of the slab with the other values in it, where a view of its
   * own costs ~104 B of object on every connection (bench/idle-memory.ts).
   */
  place(bytes: Uint8Array): PlacedBytes {
    const length = bytes.length;
    if (length > SLAB_SIZE / 8) {
      const own = Buffer.allocUnsafeSlow(length);
      own.set(bytes);
      return { slab: own, at: 0 };
    }
    if (!this.slab || this.used + length > SLAB_SIZE) {
      // Zeroed: a public key's `.buffer` is the application's, and must not show stale heap bytes.
      this.slab = Buffer.alloc(SLAB_SIZE);
      this.used = 0;
    }
    const at = this.used;
    this.slab.set(bytes, at);
    this.used += (length + 7) & ~7;
    return { slab: this.slab, at };
  }
}

/** Channel keys and nonces (never handed to the application). */
export const secretBytes = new LongLivedBytes();
/** Peer public keys (`ConnectionInfo.publicKey`). */
export const publicBytes = new LongLivedBytes();
