/**
 * The states of one connection's lifecycle (architecture.md §4), one type for every place that
 * follows it: the pool's ConnectionLifecycle, main's record of a connection on a shard, and the
 * shard's own connection.
 *
 *   dialing | handshaking → authenticated (policy) → accepting | closing (nack) → established → closing → closed
 */
export type LifecycleState = 'dialing' | 'handshaking' | 'authenticated' | 'accepting' | 'established' | 'closing' | 'closed';
