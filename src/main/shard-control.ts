/**
 * The control plane to one shard worker: comlink calls (shard/protocol.ts `ShardControl`), each
 * method read once per worker, and calls that answer a default when the worker is gone.
 */
import { once } from 'node:events';
import type { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink/dist/esm/comlink.mjs';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { ShardControl } from '../shared/shard/protocol.ts';

/** The shard's control calls, each read once from Comlink's proxy of the worker (`controlMethods`). */
export type ControlMethods = { readonly [K in keyof ShardControl]: Comlink.Remote<ShardControl>[K] };

/** Every method of ShardControl (a record, so the compiler finds one left out). */
const CONTROL_METHODS: Readonly<Record<keyof ShardControl, true>> = {
  adopt: true,
  dial: true,
  accept: true,
  nack: true,
  abandon: true,
  waitingFor: true,
  advertise: true,
  stats: true,
  cpuUsage: true,
  drain: true,
  shutdown: true,
};

/**
 * Reads every control method off Comlink's proxy once per worker. Each property read of that proxy
 * builds a new Proxy, a handler with five closures and a path array, and registers the Proxy in a
 * FinalizationRegistry; reading `control.adopt` and `control.accept` per handshake would do that
 * twice per connection, garbage for main's young generation (bench/handshake-young-gen.ts
 * --workers=2 measures it, docs/architecture.md §4c).
 */
export function controlMethods(worker: Worker): ControlMethods {
  const remote = Comlink.wrap<ShardControl>(nodeEndpoint(worker));
  const methods: Partial<Record<keyof ShardControl, unknown>> = {};
  for (const name of Object.keys(CONTROL_METHODS) as Array<keyof ShardControl>) methods[name] = remote[name];
  return methods as ControlMethods;
}

/** One control call, answered with `dead` when `worker` exits before answering. */
export function askWorker<T, D>(worker: Worker, call: () => Promise<T>, dead: D): Promise<T | D> {
  const stop = new AbortController();
  const gone = once(worker, 'exit', { signal: stop.signal }).then(
    () => dead,
    () => dead,
  );
  return Promise.race([call(), gone]).finally(() => stop.abort());
}

/** Transfers `socket` with the call's message instead of copying it (Node >= 24.20 can transfer sockets). */
export function transferring<T extends object>(message: T, socket: unknown): T {
  return Comlink.transfer(message, [socket as never]);
}
