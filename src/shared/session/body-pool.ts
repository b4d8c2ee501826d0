/**
 * Memory of received bodies that the application gave back (a released lent message,
 * main/lent-message.ts), kept for the framer to assemble later bodies into: one pool per thread,
 * the same kind as the outgoing layouts' (layout-pool.ts: exact sizes, whole ArrayBuffers, at most
 * 2 MiB free from one turn to the next). A bulk stream repeats one body size, so a reader that
 * releases each body before the next one is assembled makes no new buffer per message.
 *
 * Only inline connections give memory back here (direct-link.ts); a shard's framer finds this
 * pool empty and allocates as before, and its large bodies cross to main as transferred buffers.
 */
import { LayoutPool } from './layout-pool.ts';

/** This thread's pool of released body memory. */
export const bodyPool = new LayoutPool();
