/**
 * Plain TCP, no crypto: the ceiling of the transport. Messages framed `u32 ‖ body`. For W2 ingest
 * the "pre-sealed" traffic is the framed plaintext, built before the clock starts.
 */
import { connect as netConnect, createServer, type Socket } from 'node:net';
import { newCounters, type ClientSide, type PresealedConn, type Prepared, type RunningServer, type SystemAdapter } from './adapter.ts';
import { HOST, type ServerMode, type WorkloadParams } from './common.ts';
import { frame } from './framing.ts';
import { closeServer, listenLoopback, serveStream, StreamClientConn, whenConnected } from './stream-conn.ts';

export function tcpAdapter(): SystemAdapter {
  return {
    id: 'tcp',
    async startServer(_params: WorkloadParams, mode: ServerMode): Promise<RunningServer> {
      const counters = newCounters();
      const sockets = new Set<Socket>();
      const server = createServer({ noDelay: true }, (socket) => serveStream(socket, mode, counters, sockets));
      const port = await listenLoopback(server, HOST);
      return { port, counters, notes: [], close: () => closeServer(server, sockets) };
    },
    async client(): Promise<ClientSide> {
      const open = async (port: number): Promise<Socket> => {
        const socket = netConnect({ host: HOST, port, noDelay: true });
        await whenConnected(socket, 'connect');
        return socket;
      };
      return {
        notes: [],
        async prepare() {},
        prepareMessage: (body) => frame(body) as unknown as Prepared,
        async connect(port, _index, onMessage) {
          return new StreamClientConn(await open(port), onMessage);
        },
        async connectPresealed(port, _index, body, count): Promise<PresealedConn> {
          const socket = await open(port);
          socket.on('error', () => undefined);
          socket.resume();
          const one = frame(body);
          const wire = Buffer.allocUnsafeSlow(one.length * count);
          for (let i = 0; i < count; i++) one.copy(wire, i * one.length);
          return { wireBytes: wire.length, fire: () => void socket.write(wire), destroy: () => socket.destroy() };
        },
      };
    },
  };
}
