/**
 * The pool's side of one connection's lifecycle (architecture.md §4), the same in both modes:
 *
 *   dialing | handshaking → authenticated (policy) → accepting | closing (nack) → established
 *
 * One deadline covers every waiting state until established — `connectTimeout` for outgoing,
 * `handshakeTimeout` for incoming, authenticate and accept both (protocol.md §11.4) — and an
 * AbortSignal reaches every state. Each state names how to tear the connection down in it
 * (`cancel`); the deadline or the signal calls it and the pending step rejects with TIMEOUT or
 * ABORTED, whatever that step was waiting for (a socket, a shard, or a user's policy hook).
 */
import { P2pError, errorFromAbortReason } from '../shared/errors.ts';
import { deadlineExpired } from '../shared/session/deadline.ts';
import { WAITING_FOR_ACK, WAITING_FOR_POLICY } from '../shared/session/handshake-progress.ts';
import type { LifecycleState } from '../shared/session/lifecycle-state.ts';

export type { LifecycleState } from '../shared/session/lifecycle-state.ts';

/** What a step waits for; may ask the shard that owns the socket. */
export type WaitDescription = () => string | Promise<string>;

/** How long a TIMEOUT waits for its step's description (one control call to the shard) before going without it. */
const DESCRIBE_WAIT_MS = 100;

const STEP_WAITS: Partial<Record<LifecycleState, string>> = {
  authenticated: WAITING_FOR_POLICY,
  accepting: WAITING_FOR_ACK,
  closing: 'the Nack was not flushed to the peer',
};

export class ConnectionLifecycle {
  state: LifecycleState;
  readonly incoming: boolean;
  private readonly timer: NodeJS.Timeout;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = (): void => this.stop(errorFromAbortReason(this.signal?.reason));
  /** Rejects the pending step's promise (`step`); a step that settled leaves it a no-op. */
  private rejectStep: ((error: P2pError) => void) | undefined;
  private error: P2pError | undefined;
  private cancel: (() => void) | undefined;
  private describe: WaitDescription | undefined;

  constructor(incoming: boolean, timeout: number, signal?: AbortSignal) {
    this.incoming = incoming;
    this.state = incoming ? 'handshaking' : 'dialing';
    this.timer = setTimeout(() => void this.expire(timeout), timeout);
    this.signal = signal;
    if (signal?.aborted) this.onAbort();
    else signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /**
   * Enters `state` and waits for `operation`, or for the deadline / abort, which tears the
   * connection down with `cancel` first. `cancel` stays in force until the next step.
   * `describe` says what the step waits for, for the TIMEOUT's message (a handshake's own
   * progress; the later states have fixed descriptions).
   */
  step<T>(state: LifecycleState, operation: () => T | Promise<T>, cancel: () => void, describe?: WaitDescription): Promise<T> {
    if (this.error) {
      cancel();
      return Promise.reject(this.error);
    }
    this.state = state;
    this.cancel = cancel;
    const fixed = STEP_WAITS[state];
    this.describe = describe ?? (fixed === undefined ? undefined : () => fixed);
    let result: T | Promise<T>;
    try {
      result = operation();
    } catch (error) {
      return Promise.reject(error as Error);
    }
    if (this.error) {
      // Stopped while the operation was starting: its outcome no longer matters.
      if (result instanceof Promise) result.catch(() => undefined);
      return Promise.reject(this.error);
    }
    // A race of the operation against `stop`, without Promise.race's array, iterator and a
    // reaction left on a shared failure promise by every step: a handshake takes two or three.
    return new Promise<T>((resolve, reject) => {
      this.rejectStep = reject;
      if (result instanceof Promise) result.then(resolve, reject);
      else resolve(result);
    });
  }

  /** Ends the lifecycle from outside (pool closing): the current step rejects with `error`. */
  stop(error: P2pError): void {
    if (this.error || this.state === 'established' || this.state === 'closed') return;
    this.error = error;
    const reject = this.rejectStep;
    this.release();
    const cancel = this.cancel;
    this.cancel = undefined;
    cancel?.();
    reject?.(error);
  }

  /**
   * The deadline: asks the current step what it waited for (briefly: a dead shard does not
   * answer), then ends the lifecycle with a TIMEOUT that says so.
   */
  private async expire(timeout: number): Promise<void> {
    const describe = this.describe;
    let detail: string | undefined;
    if (describe) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, DESCRIBE_WAIT_MS, undefined)));
      try {
        detail = await Promise.race([Promise.resolve().then(describe), late]);
      } catch {
        detail = undefined; // the description is a courtesy: the timeout stands without it
      } finally {
        clearTimeout(timer);
      }
    }
    this.stop(deadlineExpired(timeout, detail));
  }

  /** The connection is established: no deadline any more. */
  established(): void {
    this.state = 'established';
    this.cancel = undefined;
    this.release();
  }

  /** Every other exit. */
  closed(): void {
    if (this.state !== 'established') this.state = 'closed';
    this.cancel = undefined;
    this.release();
  }

  private release(): void {
    this.rejectStep = undefined;
    clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}
