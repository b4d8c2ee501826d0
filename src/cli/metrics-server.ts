/**
 * The `/metrics` endpoint of `listen --metrics-port P` (and of `load`'s embedded target): a
 * plain node:http server on 127.0.0.1 that answers each GET with the pool's exposition text
 * (pool-metrics.ts). Anything else is 404 / 405.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { Pool } from '../main/pool.ts';

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function serveMetrics(pool: Pick<Pool, 'metrics' | 'metricsContentType'>, port: number): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    pool.metrics().then(
      (text) => response.writeHead(200, { 'content-type': pool.metricsContentType }).end(request.method === 'HEAD' ? undefined : text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
    );
  });
  server.listen({ host: '127.0.0.1', port });
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('metrics server: no address');
  return {
    port: address.port,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
