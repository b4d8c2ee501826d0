/**
 * Memory of received bodies that the application gave back (a released lent message,
 * main/lent-message.ts), kept for the framer to assemble later bodies into: one pool per thread,
 * the same kind as the outgoing layouts' (layout-pool.ts: exact sizes, whole ArrayBuffers, at most
 * 2 MiB free from one turn to the next). A bulk stream repeats one body size, so a reader that
 * releases each body before the next one is assembled makes no new buffer per message.
 *
 * Inline, the connection's link gives the memory back here (direct-link.ts). Sharded, main sends
 * it back to the shard that assembled it with the turn's transferred buffers (ring-link.ts,
 * shard-ring-link.ts), and the shard gives it here on its own thread; a body assembled into it is
 * still the whole of its memory, so it crosses to main as a transferred buffer as before.
 */
import { LayoutPool } from './layout-pool.ts';

/** This thread's pool of released body memory. */
export const bodyPool = new LayoutPool();
