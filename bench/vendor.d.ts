/**
 * Minimal types for the untyped dev dependencies the benchmarks use: only what bench/ calls.
 * (benchmark.js 2.1.4 and @hyperswarm/secret-stream ship no declarations.)
 */

declare module 'benchmark' {
  namespace Benchmark {
    interface Options {
      /** Seconds a benchmark may run before it is stopped (default 5). */
      maxTime?: number;
      /** Seconds one timed cycle must last, at least. */
      minTime?: number;
      /** Samples to take, at least (default 5). */
      minSamples?: number;
      /** The test function takes a `Deferred` and calls `resolve()` when done. */
      defer?: boolean;
    }
    interface Stats {
      /** Relative margin of error, percent. */
      readonly rme: number;
      /** Seconds per operation. */
      readonly mean: number;
      readonly deviation: number;
      readonly sample: readonly number[];
    }
    interface Target {
      readonly name: string;
      /** Operations per second. */
      readonly hz: number;
      readonly stats: Stats;
      readonly error?: unknown;
      readonly aborted: boolean;
      toString(): string;
    }
    interface Event {
      readonly type: string;
      readonly target: Target;
    }
    interface Deferred {
      resolve(): void;
    }
    class Suite {
      constructor(name?: string);
      add(name: string, fn: () => void, options?: Options): this;
      add(name: string, fn: (deferred: Deferred) => void, options: Options & { defer: true }): this;
      on(type: 'start' | 'cycle' | 'error' | 'complete' | 'abort', listener: (event: Event) => void): this;
      run(options?: { async?: boolean }): this;
    }
  }
  class Benchmark {
    static readonly version: string;
  }
  export = Benchmark;
}

declare module '@hyperswarm/secret-stream' {
  import type { Socket } from 'node:net';

  interface SecretStreamOptions {
    keyPair?: { publicKey: Buffer; secretKey: Buffer };
  }

  /** A streamx Duplex carrying libsodium secretstream messages over `rawStream` after a Noise XX handshake. */
  class SecretStream {
    constructor(isInitiator: boolean, rawStream?: Socket, options?: SecretStreamOptions);
    /** Returns false when the caller should wait for 'drain'. */
    write(data: Buffer): boolean;
    end(): void;
    destroy(error?: Error): void;
    on(event: 'data', listener: (data: Buffer) => void): this;
    on(event: 'connect' | 'drain' | 'end' | 'close', listener: () => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
    once(event: 'connect' | 'drain' | 'end' | 'close', listener: () => void): this;
    off(event: 'connect' | 'drain' | 'end' | 'close', listener: () => void): this;
  }
  export = SecretStream;
}
