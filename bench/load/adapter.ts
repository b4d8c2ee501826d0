/**
 * The common interface every system adapter implements (system-*.ts), so each workload (w*.ts)
 * is written once: start a server in a mode, open client connections, send and receive framed
 * messages, close.
 *
 * Messages are byte strings. Plain TCP and TLS are byte streams, so their adapters frame messages
 * the Tezos way (u32 BE length ‖ body, bench/load/framing.ts); secret-stream keeps message
 * boundaries itself; our library frames and chunks them.
 */
import type { ServerMode, SystemId, WorkloadParams } from './common.ts';

/** Live counters of a server, read by the child at window marks. */
export interface ServerCounters {
  /** Messages delivered to the server's consumer (sink, echo). */
  messages: number;
  bytes: number;
  /** Connections that completed the system's handshake (and, for ours, the accept step). */
  accepted: number;
  /** Connections open now. */
  open: number;
  /** performance.now() of the last message delivered. */
  lastAt: number;
  failures: number;
  firstFailure: string | undefined;
  /** Workload-specific readings, copied into the window report (W6: ring bytes per broadcast). */
  gauges?: Record<string, number>;
}

export function newCounters(): ServerCounters {
  return { messages: 0, bytes: 0, accepted: 0, open: 0, lastAt: 0, failures: 0, firstFailure: undefined };
}

export function countFailure(counters: { failures: number; firstFailure: string | undefined }, text: string): void {
  counters.failures++;
  counters.firstFailure ??= text;
}

export interface RunningServer {
  readonly port: number;
  readonly counters: ServerCounters;
  /** Facts worth printing (negotiated cipher, engine used …). */
  readonly notes: string[];
  /** Each shard thread's own CPU time so far (sharded pool only; bench/scale.ts). */
  shardCpu?(): Promise<ReadonlyArray<NodeJS.CpuUsage | undefined>>;
  /**
   * Each shard thread's heap used plus ArrayBuffer bytes after full collections in that thread
   * (sharded pool in W4 only, whose shards answer memory probes: bench/probes/memory-probe.ts).
   */
  shardLiveBytes?(): Promise<number[]>;
  close(): Promise<void>;
}

/** A message ready to be sent many times (framed once where the system allows it). */
export type Prepared = { readonly __prepared: true };

/** One client connection. */
export interface ClientConn {
  /** Queues a message; false when the caller should `await drain()` before sending more. */
  send(message: Prepared): boolean;
  drain(): Promise<void>;
  /** Graceful close (FIN / close_notify / our close); resolves when closed or after a grace period. */
  close(): Promise<void>;
  /** Immediate teardown. */
  destroy(): void;
}

/** A connection whose whole traffic was encrypted up front (W2 ingest). */
export interface PresealedConn {
  /** Wire bytes queued by `fire`. */
  readonly wireBytes: number;
  /** Hands every pre-built byte to the socket at once. */
  fire(): void;
  destroy(): void;
}

export interface ClientSide {
  /** Prepares `count` client identities (key pairs, proof of work) before any clock runs. */
  prepare(count: number): Promise<void>;
  prepareMessage(body: Buffer): Prepared;
  /**
   * Opens connection `index` (identity `index % prepared`); `onMessage` receives every message
   * the server sends on it.
   */
  connect(port: number, index: number, onMessage?: (body: Buffer) => void): Promise<ClientConn>;
  /**
   * Opens a connection, completes the handshake, then encrypts `count` copies of `body` with the
   * session's keys (W2 ingest). Absent when the system has no way to encrypt ahead of time.
   */
  connectPresealed?(port: number, index: number, body: Buffer, count: number): Promise<PresealedConn>;
  /** Facts worth printing. */
  readonly notes: string[];
}

export interface SystemAdapter {
  readonly id: SystemId;
  startServer(params: WorkloadParams, mode: ServerMode): Promise<RunningServer>;
  client(params: WorkloadParams): Promise<ClientSide>;
}

export interface TlsFiles {
  readonly keyFile: string;
  readonly certFile: string;
}

/** Loads the adapter module of a system (lazily, so a child only loads what it runs). */
export async function loadAdapter(system: SystemId, tls: TlsFiles | undefined): Promise<SystemAdapter> {
  switch (system) {
    case 'p2p-inline':
    case 'p2p-sharded': {
      const { p2pAdapter } = await import('./system-p2p.ts');
      return p2pAdapter(system);
    }
    case 'tls':
    case 'tls-chacha':
    case 'tls-nocheck': {
      if (!tls) throw new Error('TLS key and certificate files were not generated (is openssl installed?)');
      const { tlsAdapter } = await import('./system-tls.ts');
      return tlsAdapter(system, tls);
    }
    case 'secretstream': {
      const { secretStreamAdapter } = await import('./system-secretstream.ts');
      return secretStreamAdapter();
    }
    case 'tcp': {
      const { tcpAdapter } = await import('./system-tcp.ts');
      return tcpAdapter();
    }
  }
}
