/**
 * `listen --workers N` and the flags that only make sense with it: the node's accept policy knobs
 * of a `Pool` (docs/pool.md). Parsed here so that listen-options.ts only names the flags.
 */
import { integerOf, UsageError, type Values } from './flag-parser.ts';

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
  /** Pool-wide limits in bytes/s (the flags are KiB/s, as the node's configuration); 0: none. */
  readonly maxUploadSpeed: number;
  readonly maxDownloadSpeed: number;
}

/** Largest `--max-*-speed` in KiB/s: 16 GiB/s, the pool's own bound (validate-options.ts). */
const MAX_SPEED_KIB = 16 * 1024 * 1024;

/** The node's defaults (pool-options.ts), so a bare `--workers N` behaves as a node does. */
export const POOL_LISTEN_DEFAULTS = { maxConnections: 100, maxHandshakes: 20 } as const;

/** `undefined` without `--workers`; the pool-only flags are refused then. */
export function poolListenOptions(values: Values, usage: string): PoolListenOptions | undefined {
  const workers = integerOf(values, 'workers', 0, 256, usage);
  const maxConnections = integerOf(values, 'max-connections', 1, Number.MAX_SAFE_INTEGER, usage);
  const maxHandshakes = integerOf(values, 'max-handshakes', 1, Number.MAX_SAFE_INTEGER, usage);
  const allowDuplicatePeers = values['allow-duplicate-peers'] === true;
  const metricsPort = integerOf(values, 'metrics-port', 0, 65535, usage);
  const upload = integerOf(values, 'max-upload-speed', 0, MAX_SPEED_KIB, usage);
  const download = integerOf(values, 'max-download-speed', 0, MAX_SPEED_KIB, usage);
  if (workers === undefined) {
    const flags = { '--max-connections': maxConnections, '--max-handshakes': maxHandshakes, '--allow-duplicate-peers': allowDuplicatePeers || undefined, '--metrics-port': metricsPort, '--max-upload-speed': upload, '--max-download-speed': download };
    const stray = Object.entries(flags).find(([, value]) => value !== undefined)?.[0];
    if (stray !== undefined) throw new UsageError(`${stray} needs --workers N (the pool-backed listener)`, usage);
    return undefined;
  }
  return {
    workers,
    maxConnections: maxConnections ?? POOL_LISTEN_DEFAULTS.maxConnections,
    maxHandshakes: maxHandshakes ?? POOL_LISTEN_DEFAULTS.maxHandshakes,
    allowDuplicatePeers,
    metricsPort,
    maxUploadSpeed: (upload ?? 0) * 1024,
    maxDownloadSpeed: (download ?? 0) * 1024,
  };
}
