/**
 * Server behaviour and client connections over a Node byte-stream socket (plain `net.Socket` or
 * `tls.TLSSocket`), shared by system-tcp.ts and system-tls.ts. Messages are framed `u32 ‖ body`.
 */
import type { Server, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { countFailure, type ClientConn, type Prepared, type ServerCounters } from './adapter.ts';
import type { ServerMode } from './common.ts';
import { FrameCollector, FrameCounter, PREFIX } from './framing.ts';

/** Errors a peer's teardown produces at the end of a run: not failures of the system. */
export function isTeardownError(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED' || code === 'ERR_STREAM_DESTROYED';
}

/** Serves one established socket (after the TLS handshake for TLS) in `mode`. */
export function serveStream(socket: Socket, mode: ServerMode, counters: ServerCounters, sockets: Set<Socket>): void {
  counters.accepted++;
  counters.open++;
  sockets.add(socket);
  socket.setNoDelay(true);
  socket.on('close', () => {
    counters.open--;
    sockets.delete(socket);
  });
  socket.on('error', (error) => {
    if (!isTeardownError(error)) countFailure(counters, `server socket: ${error.message}`);
  });
  if (mode === 'sink') {
    const counter = new FrameCounter((length) => {
      counters.messages++;
      counters.bytes += length;
    });
    socket.on('data', (data: Buffer) => {
      counter.push(data);
      counters.lastAt = performance.now();
    });
  } else if (mode === 'echo') {
    const collector = new FrameCollector((frame) => {
      counters.messages++;
      counters.bytes += frame.length - PREFIX;
      socket.write(frame);
    });
    socket.on('data', (data: Buffer) => {
      collector.push(data);
      counters.lastAt = performance.now();
    });
  } else {
    // idle / handshake: nothing is sent; a FIN from the client is answered by ours (allowHalfOpen false).
    socket.resume();
  }
}

/** A client connection on a connected (and, for TLS, secured) socket. */
export class StreamClientConn implements ClientConn {
  private readonly socket: Socket;

  constructor(socket: Socket, onMessage: ((body: Buffer) => void) | undefined) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('error', () => undefined); // reported through close; teardown resets are expected
    if (onMessage) {
      const collector = new FrameCollector((frame) => onMessage(frame.subarray(PREFIX)));
      socket.on('data', (data: Buffer) => collector.push(data));
    } else {
      socket.resume();
    }
  }

  send(message: Prepared): boolean {
    return this.socket.write(message as unknown as Buffer);
  }

  drain(): Promise<void> {
    if (!this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  close(): Promise<void> {
    return closeSocket(this.socket);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** end(), then wait for 'close' up to 2 s, then destroy. */
export function closeSocket(socket: Socket): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => socket.destroy(), 2000);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.end();
  });
}

/** Resolves once `socket` emitted `event` (connect / secureConnect); rejects on error or close. */
export function whenConnected(socket: Socket, event: 'connect' | 'secureConnect'): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      cleanup();
      socket.destroy();
      reject(error);
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error(`socket closed before ${event}`));
    };
    const onDone = (): void => {
      cleanup();
      resolve();
    };
    const cleanup = (): void => {
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.off(event, onDone);
    };
    socket.once('error', onError);
    socket.once('close', onClose);
    socket.once(event, onDone);
  });
}

/** Stops listening and destroys every open socket. */
export async function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const socket of sockets) socket.destroy();
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
}

/** `listen(0, 127.0.0.1)` with a deep accept backlog; resolves with the port. */
export async function listenLoopback(server: Server, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}
