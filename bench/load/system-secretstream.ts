/**
 * @hyperswarm/secret-stream over TCP: Noise XX handshake (Ed25519 static keys, X25519), then
 * libsodium secretstream (XChaCha20-Poly1305) messages. It keeps message boundaries, so bodies
 * go as they are. Key pairs (the peer's identity) are made before any clock runs.
 */
import { connect as netConnect, createServer, type Socket } from 'node:net';
import SecretStream from '@hyperswarm/secret-stream';
import { performance } from 'node:perf_hooks';
import { countFailure, newCounters, type ClientConn, type ClientSide, type Prepared, type RunningServer, type SystemAdapter } from './adapter.ts';
import { HOST, type ServerMode, type WorkloadParams } from './common.ts';
import { closeServer, isTeardownError, listenLoopback } from './stream-conn.ts';

interface KeyPair {
  publicKey: Buffer;
  secretKey: Buffer;
}

/** The static `keyPair()` that bench/vendor.d.ts does not declare. */
function keyPair(): KeyPair {
  return (SecretStream as unknown as { keyPair(): KeyPair }).keyPair();
}

/** Identities kept for a run at most; connections beyond reuse them in turn. */
const MAX_KEY_PAIRS = 8192;

type Stream = InstanceType<typeof SecretStream>;

/** Resolves on the Noise handshake's end; rejects on an error or a close before it. */
function onceConnected(stream: Stream, socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    stream.once('connect', () => {
      settled = true;
      resolve();
    });
    stream.on('error', fail);
    stream.once('close', () => fail(new Error('secret-stream closed before its handshake ended')));
    socket.once('close', () => fail(new Error('socket closed before the secret-stream handshake ended')));
  });
}

class SecretStreamClientConn implements ClientConn {
  private readonly stream: Stream;
  private readonly socket: Socket;

  constructor(stream: Stream, socket: Socket, onMessage: ((body: Buffer) => void) | undefined) {
    this.stream = stream;
    this.socket = socket;
    stream.on('error', () => undefined);
    if (onMessage) stream.on('data', onMessage);
    else stream.on('data', () => undefined);
  }

  send(message: Prepared): boolean {
    return this.stream.write(message as unknown as Buffer);
  }

  drain(): Promise<void> {
    if (this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        this.socket.off('close', done);
        resolve();
      };
      this.stream.once('drain', done);
      this.stream.once('close', done);
      this.socket.once('close', done);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) {
        resolve();
        return;
      }
      const timer = setTimeout(() => this.destroy(), 2000);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.stream.end();
    });
  }

  destroy(): void {
    this.stream.destroy();
    this.socket.destroy();
  }
}

export function secretStreamAdapter(): SystemAdapter {
  return {
    id: 'secretstream',
    async startServer(_params: WorkloadParams, mode: ServerMode): Promise<RunningServer> {
      const counters = newCounters();
      const sockets = new Set<Socket>();
      const serverKeys = keyPair();
      const server = createServer({ noDelay: true }, (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
        const stream = new SecretStream(false, socket, { keyPair: serverKeys });
        let established = false;
        stream.on('error', (error) => {
          if (!isTeardownError(error) && !/destroyed|closed/i.test(error.message)) countFailure(counters, `secret-stream: ${error.message}`);
        });
        stream.once('connect', () => {
          established = true;
          counters.accepted++;
          counters.open++;
        });
        stream.once('close', () => {
          if (established) counters.open--;
          socket.destroy();
        });
        stream.once('end', () => stream.end());
        if (mode === 'sink') {
          stream.on('data', (data: Buffer) => {
            counters.messages++;
            counters.bytes += data.length;
            counters.lastAt = performance.now();
          });
        } else if (mode === 'echo') {
          stream.on('data', (data: Buffer) => {
            counters.messages++;
            counters.bytes += data.length;
            counters.lastAt = performance.now();
            stream.write(data);
          });
        } else {
          stream.on('data', () => undefined);
        }
      });
      const port = await listenLoopback(server, HOST);
      return { port, counters, notes: [], close: () => closeServer(server, sockets) };
    },
    async client(): Promise<ClientSide> {
      const keys: KeyPair[] = [];
      return {
        notes: [],
        async prepare(count) {
          const wanted = Math.min(Math.max(1, count), MAX_KEY_PAIRS);
          while (keys.length < wanted) keys.push(keyPair());
        },
        prepareMessage: (body) => body as unknown as Prepared,
        async connect(port, index, onMessage) {
          if (keys.length === 0) keys.push(keyPair());
          const socket = netConnect({ host: HOST, port, noDelay: true });
          socket.on('error', () => undefined);
          const stream = new SecretStream(true, socket, { keyPair: keys[index % keys.length]! });
          try {
            await onceConnected(stream, socket);
          } catch (error) {
            stream.destroy();
            socket.destroy();
            throw error;
          }
          return new SecretStreamClientConn(stream, socket, onMessage);
        },
      };
    },
  };
}
