/**
 * What one queued message costs against a queue bound, besides its bytes: the per-element sizes
 * OCaml counts on 64-bit (protocol.md §9.5), or more where ours cost more. Every queue that bounds messages (the inline session,
 * a shard's read credit, main's view of a shard session) charges the same, so a bound means the
 * same thing in both modes (architecture.md §3).
 */

/**
 * A received message in the incoming queue: what it holds besides its body bytes, as measured
 * (its entry, the body's Buffer object, its queue slot: about 160–180 B for an empty or 1-byte
 * message, inline or sharded, test/tiny-message-flood-memory.test.ts), rounded up. OCaml counts
 * 88 + 32; a smaller figure here would let a flood of tiny messages hold several times the bound.
 */
export const INCOMING_ENTRY_COST = 192;

/** A message in the outgoing queue (64 + 128 + 32). */
export const OUTGOING_ENTRY_COST = 64 + 128 + 32;

/** `writeSync` keeps a settle callback on its entry as well. */
export const SYNC_WRITE_EXTRA_COST = 64;
