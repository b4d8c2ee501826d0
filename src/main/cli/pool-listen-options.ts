/**
 * `listen --workers N` and the flags that only make sense with it: the node's accept policy knobs
 * of a `Pool` (docs/pool.md). Parsed here so that args.ts only names the flags.
 */
import { integerOf, UsageError, type Values } from './args.ts';

export interface PoolListenOptions {
  /** Shard worker threads; 0 runs the inline pool on the main thread. */
  readonly workers: number;
  /** Established connections above which peers are nacked TOO_MANY_CONNECTIONS. */
  readonly maxConnections: number;
  /** Incoming handshakes in flight above which new sockets are closed at once (protocol.md §11.4). */
  readonly maxHandshakes: number;
  /** Accept several connections with one peer id (a load generator short of identities). */
  readonly allowDuplicatePeers: boolean;
  /** Serve Prometheus metrics on 127.0.0.1:P/metrics (0: any free port, printed). */
  readonly metricsPort: number | undefined;
}

/** The node's defaults (pool.ts), so a bare `--workers N` behaves as a node does. */
export const POOL_LISTEN_DEFAULTS = { maxConnections: 100, maxHandshakes: 20 } as const;

/** `undefined` without `--workers`; the pool-only flags are refused then. */
export function poolListenOptions(values: Values, usage: string): PoolListenOptions | undefined {
  const workers = integerOf(values, 'workers', 0, 256, usage);
  const maxConnections = integerOf(values, 'max-connections', 1, Number.MAX_SAFE_INTEGER, usage);
  const maxHandshakes = integerOf(values, 'max-handshakes', 1, Number.MAX_SAFE_INTEGER, usage);
  const allowDuplicatePeers = values['allow-duplicate-peers'] === true;
  const metricsPort = integerOf(values, 'metrics-port', 0, 65535, usage);
  if (workers === undefined) {
    const stray = maxConnections !== undefined ? '--max-connections' : maxHandshakes !== undefined ? '--max-handshakes' : allowDuplicatePeers ? '--allow-duplicate-peers' : metricsPort !== undefined ? '--metrics-port' : undefined;
    if (stray !== undefined) throw new UsageError(`${stray} needs --workers N (the pool-backed listener)`, usage);
    return undefined;
  }
  return {
    workers,
    maxConnections: maxConnections ?? POOL_LISTEN_DEFAULTS.maxConnections,
    maxHandshakes: maxHandshakes ?? POOL_LISTEN_DEFAULTS.maxHandshakes,
    allowDuplicatePeers,
    metricsPort,
  };
}
