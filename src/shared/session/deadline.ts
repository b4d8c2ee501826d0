/**
 * Races an operation against an AbortSignal and a timeout. On expiry the operation's resources
 * are torn down by `cancel`, which must make the operation itself settle (so nothing dangles).
 */
import { AbortedError, P2pError, TimeoutError, errorFromAbortReason } from '../errors.ts';

export interface DeadlineOptions {
  readonly signal?: AbortSignal | undefined;
  /** Milliseconds. */
  readonly timeout?: number | undefined;
  /** What the operation waits for, to say in the TIMEOUT message ("no connection message …"). */
  readonly waitingFor?: (() => string) | undefined;
}

export function withDeadline<T>(operation: Promise<T>, options: DeadlineOptions, cancel: (error: P2pError) => void): Promise<T> {
  const { signal, timeout } = options;
  if (!signal && timeout === undefined) return operation;
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const stop = (error: P2pError): void => {
      cleanup();
      cancel(error);
      reject(error);
    };
    const onAbort = (): void => stop(signal ? errorFromAbortReason(signal.reason) : new AbortedError());
    const cleanup = (): void => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    if (signal?.aborted) {
      // `cancel` makes the operation settle, most likely by rejecting: observed, so that it is
      // not an unhandled rejection (test: timeout-messages, "already-aborted signal").
      operation.catch(() => undefined);
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeout !== undefined) timer = setTimeout(() => stop(deadlineExpired(timeout, options.waitingFor?.())), timeout);
    operation.then(
      (value) => {
        cleanup();
        resolve(value);
      },
      (error: unknown) => {
        cleanup();
        reject(error);
      },
    );
  });
}

/**
 * The TIMEOUT every connection deadline ends with (`connect`, a pool's handshake deadline on main
 * or in a shard): how long it was, and what the connection waited for when that is known.
 */
export function deadlineExpired(timeout: number, waitingFor?: string): TimeoutError {
  return new TimeoutError(`timed out after ${timeout} ms${waitingFor ? `: ${waitingFor}` : ''}`);
}
