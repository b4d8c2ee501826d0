/**
 * The events a pool emits (`pool.on(…)`), with what each carries and when it fires.
 */
import type { Connection } from './connection.ts';
import type { PoolServer } from './pool-server.ts';
import type { Greylisting, Refusal } from './refusal.ts';

/**
 * A pool's events.
 * - `'connection'`: an incoming connection passed the accept policy and is established (also
 *   delivered by `connections()`). Outgoing ones are what `connect` resolves with. A listener
 *   whose promise rejects ends that connection (HANDLER_FAILED), never the process.
 * - `'listening'`: a `listen` call is listening; the handle it resolves with (pool-server.ts).
 * - `'error'`: failures that belong to no single connection: a ShardFailedError (SHARD_FAILED) when a
 *   shard kept dying at start-up and is given up (`cause`: the worker's error), and errors of a
 *   listening server after `listen` resolved (EMFILE and the like, the Error node:net emits).
 *   Errors of one connection never go there: they reject that connection's promise, and peers'
 *   failures (bad proof of work, timeouts, nacks …) are counted in `stats().errors`. With no
 *   `'error'` listener these are only counted: the pool never throws into the event loop.
 * - `'refused'`: a connection this pool turned away, before the handshake (admission limits, a
 *   banned or greylisted address) or after it (the accept policy's nacks and closes, the `policy`
 *   hook's), in either direction, with why and the option that governs it (refusal.ts). Each is
 *   also counted in `stats().errors` under its `code`.
 * - `'greylisted'`: an address this pool greylisted after a failed handshake (refusal.ts); its
 *   connections are then refused until `until`, or until `unban({ address })`.
 */
export interface PoolEvents<Msg, Meta> {
  connection: [Connection<Msg, Meta>];
  listening: [PoolServer];
  error: [Error];
  refused: [Refusal];
  greylisted: [Greylisting];
}
