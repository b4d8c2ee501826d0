/**
 * A pool's listening sockets: binding one (paused sockets, Nagle off) under an abort signal, and
 * stopping them all when the pool closes. What happens to each accepted socket is the pool's
 * admission (`Pool.admit`); the handle users get is a PoolServer (pool-server.ts).
 */
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { PoolClosedError, errorFromAbortReason } from '../shared/errors.ts';
import { withDeadline } from '../shared/session/deadline.ts';
import { PoolServer } from './pool-server.ts';

export interface ListenerHooks {
  /** Every accepted socket, fresh and paused. */
  readonly onSocket: (socket: Socket) => void;
  /** A listening server's errors after it is up (EMFILE and the like). */
  readonly onError: (error: Error) => void;
  /** Whether the pool closed meanwhile: a listener that comes up then never serves. */
  readonly isClosed: () => boolean;
}

export class PoolListeners {
  private readonly servers = new Set<PoolServer>();
  private readonly hooks: ListenerHooks;

  constructor(hooks: ListenerHooks) {
    this.hooks = hooks;
  }

  /** Binds `host:port`; see `Pool.listen` for what the caller sees. */
  async listen(options: { host?: string; port?: number; signal?: AbortSignal }): Promise<PoolServer> {
    const server = createServer({ pauseOnConnect: true, noDelay: true }, this.hooks.onSocket);
    const { signal } = options;
    if (signal?.aborted) throw errorFromAbortReason(signal.reason);
    server.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
    // Rejects with the 'error' of a failed listen (EADDRINUSE …); later errors go to 'error'.
    await withDeadline(once(server, 'listening'), { signal }, () => server.close());
    server.on('error', this.hooks.onError);
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('listen: no address');
    if (this.hooks.isClosed()) {
      // The pool closed while this listener was starting: it never serves.
      server.close();
      throw new PoolClosedError();
    }
    const listener = new PoolServer(server, address, signal);
    this.servers.add(listener);
    listener.once('close', () => this.servers.delete(listener));
    return listener;
  }

  /** Stops every listener; the connections they accepted stay the pool's. */
  closeAll(): void {
    for (const server of this.servers) void server.close();
  }
}
