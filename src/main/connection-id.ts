/**
 * Connection ids: one counter for the process's main thread. A `Connection`'s `id` and main's
 * record of a connection on a shard (the id ring records carry) both come from it, so an id names
 * one connection whichever table it is found in.
 */
let next = 1;

export function nextConnectionId(): number {
  return next++;
}
