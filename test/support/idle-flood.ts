/**
 * A slow-loris attacker over loopback: sockets that send nothing, each reopened as soon as the
 * server drops it. Traffic goes to 127.0.0.1 only; the source address of each socket is chosen by
 * the caller (Linux answers for all of 127/8), so the server can tell attacker addresses apart.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface IdleFlood {
  /** Sockets opened so far, reopenings included. */
  opened(): number;
  /** Stops reopening and destroys the sockets still open. */
  stop(): Promise<void>;
}

/**
 * `count` idle sockets to `127.0.0.1:port` until `stop()`; the `n`th socket opened (from 0)
 * binds to `sourceAddress(n)`.
 */
export function idleFlood(port: number, count: number, sourceAddress: (n: number) => string): IdleFlood {
  let running = true;
  let opened = 0;
  const open = new Set<Socket>();
  const dial = (): void => {
    if (!running) return;
    const socket = netConnect({ host: '127.0.0.1', port, localAddress: sourceAddress(opened++) });
    open.add(socket);
    socket.on('error', () => undefined);
    // Read, so that the server's FIN is seen and the socket closes (and is reopened).
    socket.on('data', () => undefined);
    // Reopened 10 ms after the server drops it: up to 100 dials/s per socket, 2,500/s for 25. At
    // 1 ms the loop made ~6,000 connections/s on this 2-core machine (31k in 5.7 s, more than the
    // 28k ephemeral ports) and, once in three runs, the kernel reset the honest peer's connections
    // too: a connection flood is a firewall's business (docs/security.md), not what this measures.
    socket.on('close', () => {
      open.delete(socket);
      setTimeout(dial, 10);
    });
  };
  for (let i = 0; i < count; i++) dial();
  return {
    opened: () => opened,
    stop: async () => {
      running = false;
      for (const socket of open) socket.destroy();
      await sleep(50);
    },
  };
}
