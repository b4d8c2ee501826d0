/**
 * A child process that opens TCP connections to a server on 127.0.0.1 and sends nothing on them,
 * so the server holds that many handshakes waiting for the peer's connection message; the
 * server's memory per handshake is measured without the clients' in the same process.
 *
 *   node silent-sockets.ts <port> <batch>[,<batch>…]
 *
 * Opens the first batch, sends IPC `{ ready: total }` once all are connected, waits for a
 * `'next'` message before each further batch; exits when the parent disconnects.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

const [portText, batchesText] = process.argv.slice(2);
const port = Number(portText);
const batches = (batchesText ?? '').split(',').map(Number);
const sockets: Socket[] = [];

process.on('disconnect', () => {
  for (const socket of sockets) socket.destroy();
  process.exit(0);
});
setTimeout(() => process.exit(3), 120_000).unref(); // bounded: never outlives a stuck parent

let total = 0;
for (const [i, batch] of batches.entries()) {
  if (i > 0) await once(process, 'message');
  await Promise.all(
    Array.from({ length: batch }, () => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.on('error', () => undefined);
      sockets.push(socket);
      return once(socket, 'connect');
    }),
  );
  total += batch;
  process.send?.({ ready: total });
}
