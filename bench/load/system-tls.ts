/**
 * Node TLS 1.3 (OpenSSL) with a self-signed ECDSA P-256 certificate made at start by the parent
 * (bench/load/tls-cert.ts). Variants:
 * - tls:         default TLS 1.3 suites (OpenSSL picks TLS_AES_256_GCM_SHA384), the client checks
 *                the certificate against it as CA and the IP SAN (`rejectUnauthorized: true`);
 * - tls-chacha:  only TLS_CHACHA20_POLY1305_SHA256, certificate checked;
 * - tls-nocheck: default suites, `rejectUnauthorized: false` (no chain or name check; the
 *                handshake itself still verifies the server's CertificateVerify signature).
 * No session resumption: the client never passes a `session`, so every handshake is a full one.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { connect as tlsConnect, createSecureContext, createServer, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { countFailure, newCounters, type ClientSide, type Prepared, type RunningServer, type SystemAdapter, type TlsFiles } from './adapter.ts';
import { HOST, type ServerMode, type SystemId, type WorkloadParams } from './common.ts';
import { frame } from './framing.ts';
import { closeServer, isTeardownError, listenLoopback, serveStream, StreamClientConn, whenConnected } from './stream-conn.ts';

const CHACHA = 'TLS_CHACHA20_POLY1305_SHA256';

export function tlsAdapter(system: SystemId, files: TlsFiles): SystemAdapter {
  const key = readFileSync(files.keyFile);
  const cert = readFileSync(files.certFile);
  const suites = system === 'tls-chacha' ? { ciphers: CHACHA } : {};
  const check = system !== 'tls-nocheck';
  return {
    id: system,
    async startServer(_params: WorkloadParams, mode: ServerMode): Promise<RunningServer> {
      const counters = newCounters();
      const sockets = new Set<Socket>();
      const notes: string[] = [];
      const server = createServer({ key, cert, minVersion: 'TLSv1.3', ...suites }, (socket: TLSSocket) => {
        if (notes.length === 0) notes.push(`negotiated ${socket.getProtocol()} ${socket.getCipher().standardName}`);
        serveStream(socket, mode, counters, sockets);
      });
      server.on('tlsClientError', (error) => {
        if (!isTeardownError(error)) countFailure(counters, `TLS handshake: ${error.message}`);
      });
      const port = await listenLoopback(server, HOST);
      return { port, counters, notes, close: () => closeServer(server, sockets) };
    },
    async client(): Promise<ClientSide> {
      // One context for every connection, as an efficient client keeps it (tls.connect would
      // otherwise build a fresh SSL_CTX, and parse the CA, per connection).
      const secureContext = createSecureContext({ minVersion: 'TLSv1.3', ...suites, ...(check ? { ca: cert } : {}) });
      const options = (port: number): ConnectionOptions => ({ host: HOST, port, secureContext, rejectUnauthorized: check });
      return {
        notes: [check ? 'client verifies the certificate chain and IP SAN' : 'client does not verify the certificate'],
        async prepare() {},
        prepareMessage: (body) => frame(body) as unknown as Prepared,
        async connect(port, _index, onMessage) {
          const socket = tlsConnect(options(port));
          await whenConnected(socket, 'secureConnect');
          return new StreamClientConn(socket, onMessage);
        },
      };
    },
  };
}
