/**
 * Several connections from one pool to another on loopback, each paired with its other end.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from '../../src/main/connection.ts';
import type { Pool } from '../../src/main/pool.ts';

type Conn = Connection<Uint8Array, undefined>;

/** `count` connections from `client` to `server` (which starts listening), dialled one at a time: [server side, client side]. */
export async function connectMany(server: Pool<Uint8Array, undefined>, client: Pool<Uint8Array, undefined>, count: number, timeout = 10_000): Promise<Array<[Conn, Conn]>> {
  const { port } = await server.listen();
  const accepted: Conn[] = [];
  server.on('connection', (conn) => void accepted.push(conn));
  const pairs: Array<[Conn, Conn]> = [];
  for (let i = 0; i < count; i++) {
    const clientSide = await client.connect({ host: '127.0.0.1', port });
    const deadline = Date.now() + timeout;
    while (accepted.length <= i && Date.now() < deadline) await sleep(5);
    const serverSide = accepted[i];
    assert.ok(serverSide, `dial ${i} was accepted`);
    pairs.push([serverSide, clientSide]);
  }
  return pairs;
}
