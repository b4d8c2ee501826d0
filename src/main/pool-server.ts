/**
 * What `pool.listen()` resolves with: one listening socket of a pool, as a handle to read its
 * address from and to stop it with. The connections it accepted belong to the pool, so stopping
 * a listener stops new connections only (as `net.Server.close` does), and `pool.close()` stops
 * every listener.
 */
import { EventEmitter, addAbortListener } from 'node:events';
import type { AddressInfo, Server } from 'node:net';

/** A listener's events. `'close'`: it stopped listening (its `close()`, the pool's, or its `signal`). */
export interface PoolServerEvents {
  close: [];
}

export class PoolServer extends EventEmitter<PoolServerEvents> implements AsyncDisposable {
  /** The bound address (IPv4 or IPv6 text), as `address().address`. */
  readonly host: string;
  /** The bound port, as `address().port`: the one to give peers when `listen` was given port 0. */
  readonly port: number;
  private readonly server: Server;
  private readonly boundAddress: AddressInfo;
  private abortListener: Disposable | undefined;
  private closed = false;

  /** @internal the pool makes one once `server` listens */
  constructor(server: Server, address: AddressInfo, signal: AbortSignal | undefined) {
    super();
    this.server = server;
    this.boundAddress = address;
    this.host = address.address;
    this.port = address.port;
    if (signal) this.abortListener = addAbortListener(signal, () => void this.close());
  }

  /** The bound address, as `net.Server.address()` gives it. */
  address(): AddressInfo {
    return { ...this.boundAddress };
  }

  /** Whether it still accepts connections. */
  get listening(): boolean {
    return !this.closed;
  }

  /**
   * Stops accepting connections; the ones already accepted stay open (they belong to the pool).
   * Resolves once the socket no longer listens. Closing twice is harmless.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abortListener?.[Symbol.dispose]();
    this.server.close();
    this.emit('close');
  }

  /** `await using server = await pool.listen()` stops listening at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** `{ host, port }`: what `JSON.stringify` and logs show. */
  toJSON(): { host: string; port: number } {
    return { host: this.host, port: this.port };
  }
}
