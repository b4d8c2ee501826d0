/**
 * The scaling model of a sharded pool (docs/scaling.md): what messages/s a server reaches with N
 * shard threads on C cores, from the CPU each thread spends per message.
 *
 * Every message costs `main` µs on the main thread (the application's read/write, the rings on
 * main's side), `shard` µs on one shard thread (socket, crypto, framing, the rings on the shard's
 * side) and `helpers` µs on the process's other threads (V8's GC and compiler threads, libuv's
 * pool). A thread runs on at most one core, so:
 *
 *   rate = min( N / shard,                 the shards, connections spread evenly over them
 *               1 / main,                  the main thread
 *               C / (main + shard + helpers + kernel + client on the same cores) )   the cores
 *
 * where `kernel` is the kernel's network work (irq, softirq) that lands on the server's cores,
 * and, when a load client runs on the same machine, also 1 / client (its own single thread; on
 * a core of its own with the kernel's work there).
 * The costs are CPU time per message measured by bench/scale.ts; the model assumes they do not
 * change with N or C (no lock contention, no cache or memory-bandwidth limit, the same batching),
 * which is what bench/scale.ts checks at 1 and 2 shards.
 */

/** CPU µs per message of each kind of thread. */
export interface Costs {
  readonly main: number;
  readonly shard: number;
  readonly helpers: number;
  /** The kernel's network work (irq, softirq) on the server's cores: no thread's, only the cores'. */
  readonly kernel?: number;
}

/** Where the server runs and, when it is measured on the same machine, its load client. */
export interface Placement {
  readonly shards: number;
  /** Cores the server process may use. */
  readonly cores: number;
  /**
   * A load client: its CPU µs per message, whether it runs on the server's cores, and when it
   * does not, the kernel's work on its own core per message.
   */
  readonly client?: { readonly cost: number; readonly sharesCores: boolean; readonly kernel?: number };
}

export type Bound = 'shards' | 'main' | 'cores' | 'client';

export interface Prediction {
  /** Messages per second. */
  readonly rate: number;
  /** Which limit is the smallest. */
  readonly bound: Bound;
  /** Every limit, messages per second. */
  readonly limits: Readonly<Record<Bound, number>>;
}

function perSecond(threads: number, us: number): number {
  return us > 0 ? (threads * 1e6) / us : Infinity;
}

/** The model: the smallest of the shard, main-thread, core (and client) limits. */
export function predictRate(costs: Costs, placement: Placement): Prediction {
  if (!(placement.shards >= 1) || !(placement.cores > 0)) throw new RangeError('predictRate needs at least one shard and a positive core count');
  const client = placement.client;
  const onCores = costs.main + costs.shard + costs.helpers + (costs.kernel ?? 0) + (client?.sharesCores ? client.cost : 0);
  const limits: Record<Bound, number> = {
    shards: perSecond(placement.shards, costs.shard),
    main: perSecond(1, costs.main),
    cores: perSecond(placement.cores, onCores),
    client: client ? perSecond(1, client.cost + (client.sharesCores ? 0 : (client.kernel ?? 0))) : Infinity,
  };
  let bound: Bound = 'shards';
  for (const key of ['main', 'cores', 'client'] as const) if (limits[key] < limits[bound]) bound = key;
  return { rate: limits[bound], bound, limits };
}

/** The two ways a C-core server can be laid out that docs/scaling.md projects. */
export const LAYOUTS = {
  /** One core for main, a shard on each other core. */
  mainPlusShards: (cores: number): Placement => ({ shards: Math.max(1, cores - 1), cores }),
  /** As many shards as cores (main shares them). */
  shardPerCore: (cores: number): Placement => ({ shards: cores, cores }),
} as const;

/** Signed error of a prediction against a measurement, percent of the measurement. */
export function errorPercent(predicted: number, measured: number): number {
  return ((predicted - measured) / measured) * 100;
}
