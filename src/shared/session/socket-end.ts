/**
 * Ending a session's socket: a graceful close with its grace period, a reset, and the
 * CONNECTION_CLOSED error an end is reported with (transport.ts).
 */
import type { Socket } from 'node:net';
import { ConnectionClosedError } from '../errors.ts';

/** How long a closing socket may take to flush and see the peer's FIN before it is destroyed. */
export const CLOSE_GRACE_MS = 2000;

/**
 * Flushes what was handed to `socket`, sends FIN and keeps reading (the transport drops what
 * comes) until the peer closes too, so the kernel does not answer unread data with a reset.
 * Returns the timer that destroys it after CLOSE_GRACE_MS at the latest, for the owner to clear
 * on the socket's 'close' (the transport, which listens for it anyway: no listener of its own).
 */
export function endGracefully(socket: Socket): NodeJS.Timeout {
  const timer = setTimeout(destroySocket, CLOSE_GRACE_MS, socket);
  socket.resume();
  socket.end();
  return timer;
}

function destroySocket(socket: Socket): void {
  socket.destroy();
}

/** Destroys `socket` with a TCP reset where it can (in-memory duplexes used by tests have none). */
export function destroyWithReset(socket: Socket): void {
  if (typeof socket.resetAndDestroy === 'function' && !socket.connecting) socket.resetAndDestroy();
  else socket.destroy();
}

/**
 * CONNECTION_CLOSED for an end the socket reported, or a local close nobody waited on, built
 * without a stack trace: its frames would be the event emitter's and the transport's, and
 * capturing them would cost handshake-churn CPU for nothing (bench/handshake-cpu.ts measures it).
 */
export function socketClosedError(message: string, cause?: Error): ConnectionClosedError {
  const options = cause === undefined ? undefined : { cause };
  const limit: unknown = Error.stackTraceLimit;
  // Not a positive number (deleted, say): V8 captures no stack anyway, and writing it back would
  // leave a property the application removed (test: stack-trace-limit-restored).
  if (typeof limit !== 'number' || !(limit > 0)) return new ConnectionClosedError(message, options);
  // Reflect.set: where the limit cannot be written (frozen intrinsics) the error keeps its stack
  // instead of the assignment throwing from a socket event.
  Reflect.set(Error, 'stackTraceLimit', 0);
  try {
    return new ConnectionClosedError(message, options);
  } finally {
    Reflect.set(Error, 'stackTraceLimit', limit);
  }
}
