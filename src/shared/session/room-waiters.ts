/**
 * Callers of `whenWritable` waiting for room in a connection's outgoing queue (message-queues.ts).
 * The queue decides when there is room and calls `wake`; `fail` rejects everyone when it closes.
 */
import { ConnectionClosedError, type P2pError } from '../errors.ts';
import { abortable, removeItem, type Settlers } from './abortable.ts';

export class RoomWaiters {
  /** Made on the first wait: most connections never wait for room. */
  private waiters: Settlers<void>[] | undefined;

  /** Resolves at once if `hasRoom`, rejects at once if `closed`, else waits for `wake`. */
  wait(closed: boolean, hasRoom: boolean, signal?: AbortSignal): Promise<void> {
    if (closed) return Promise.reject(new ConnectionClosedError());
    if (hasRoom) return Promise.resolve();
    return abortable<void>(signal, (waiter) => {
      const waiters = (this.waiters ??= []);
      waiters.push(waiter);
      return () => removeItem(waiters, waiter);
    });
  }

  get waiting(): boolean {
    return this.waiters !== undefined && this.waiters.length > 0;
  }

  wake(): void {
    for (const waiter of this.waiters?.splice(0) ?? []) waiter.resolve();
  }

  fail(error: P2pError): void {
    for (const waiter of this.waiters?.splice(0) ?? []) waiter.reject(error);
  }
}
