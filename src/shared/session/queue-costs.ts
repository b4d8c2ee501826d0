/**
 * What one queued message costs against a queue bound, besides its bytes: the per-element sizes
 * OCaml counts on 64-bit (protocol.md §9.5). Every queue that bounds messages (the inline session,
 * a shard's read credit, main's view of a shard session) charges the same, so a bound means the
 * same thing in both modes (architecture.md §3).
 */

/** A received message in the incoming queue (88-byte entry + 32-byte buffer header). */
export const INCOMING_ENTRY_COST = 88 + 32;

/** A message in the outgoing queue (64 + 128 + 32). */
export const OUTGOING_ENTRY_COST = 64 + 128 + 32;

/** `writeSync` keeps a settle callback on its entry as well. */
export const SYNC_WRITE_EXTRA_COST = 64;
