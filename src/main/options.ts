/**
 * Defaults of the public options, in one place.
 */

/** Proof-of-work difficulty demanded from peers when none is given: `Crypto_box.default_pow_target` (protocol.md §2.3). */
export const DEFAULT_POW_DIFFICULTY = 24;

/**
 * Incoming queue bound, bytes. OCaml leaves it unbounded; a server with thousands of peers
 * cannot, so a slow reader stops reading the socket past 8 MiB (protocol.md §9.5 costs).
 */
export const DEFAULT_INCOMING_QUEUE_SIZE = 8 * 1024 * 1024;

/** Outgoing queue bound, bytes: past it `write` waits and `writeNow` returns false. */
export const DEFAULT_OUTGOING_QUEUE_SIZE = 8 * 1024 * 1024;

/** Largest message (prefix + body) accepted from a peer: the node's `P2p_message` limit, 100 MiB (protocol.md §9.1). */
export const DEFAULT_MAX_MESSAGE_SIZE = 100 * 1024 * 1024;

/** Milliseconds an unfinished incoming message may go without a new byte (docs/security.md). */
export const DEFAULT_MESSAGE_TIMEOUT = 60_000;
