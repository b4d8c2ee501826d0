/**
 * This process's descriptors by kind (`socket`, `pipe`, `anon_inode:[eventfd]`, a path …), from
 * /proc/self/fd. The soak counts sockets for leaks: libuv also opens /dev/null lazily (its
 * reserve against EMFILE in accept), which is no connection's.
 */
import { readdirSync, readlinkSync } from 'node:fs';

export function fdKinds(): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const fd of readdirSync('/proc/self/fd')) {
    let kind = 'gone';
    try {
      kind = readlinkSync(`/proc/self/fd/${fd}`).replace(/:\[\d+\]$/, '');
    } catch {
      // closed while listing (the directory's own descriptor)
    }
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}
