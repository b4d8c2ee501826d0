/**
 * Promises that an AbortSignal can cancel, with the abort listener removed once they settle (a
 * long-lived signal reused for many reads must not collect listeners).
 */
import { errorFromAbortReason, type P2pError } from '../errors.ts';

export interface Settlers<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: P2pError) => void;
}

/**
 * `register` parks the settlers somewhere (a waiter queue) and returns how to unpark them. On
 * abort the waiter is unparked and the promise rejects with ABORTED or TIMEOUT.
 */
export function abortable<T>(signal: AbortSignal | undefined, register: (settlers: Settlers<T>) => () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (!signal) {
      register({ resolve, reject });
      return;
    }
    if (signal.aborted) {
      reject(errorFromAbortReason(signal.reason));
      return;
    }
    const onAbort = (): void => {
      unpark();
      reject(errorFromAbortReason(signal.reason));
    };
    const unpark = register({
      resolve: (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      reject: (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function removeItem<T>(items: T[], item: T): void {
  const at = items.indexOf(item);
  if (at >= 0) items.splice(at, 1);
}
