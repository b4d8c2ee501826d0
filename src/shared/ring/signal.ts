/**
 * One-word "I am waiting for you" flags in a ring's SharedArrayBuffer: the consumer-asleep flag
 * (doorbell for new records) and the space-wanted flag (producer waiting on a full ring).
 *
 * Protocol (the classic lost-wake-up fix, Dekker style, relying on `Atomics` being sequentially
 * consistent):
 * - the waiter `arm`s the flag, THEN re-checks its condition (records present / space free) with
 *   an `Atomics.load` of the other side's index; if the condition already holds it `disarm`s and
 *   carries on, otherwise it waits;
 * - the signaller publishes its progress (`Atomics.store` of its index), THEN `claim`s the flag;
 *   a successful claim (the flag went from armed to 0, by `Atomics.compareExchange`) means the
 *   signaller owes the waiter exactly one signal.
 * All four operations are in one total order, so either the waiter's re-check sees the progress
 * or the signaller's claim sees the armed flag — never neither, so no wake-up is lost. Both may
 * happen: then the waiter disarms (a no-op: the flag is already 0) and later receives one
 * spurious signal, which it must tolerate (re-check, find nothing to do, wait again).
 *
 * How the signal travels is the caller's choice, on purpose: shards are event-loop threads that
 * own sockets, so nobody may block in `Atomics.wait`. The library posts a message on the worker's
 * port (costs ~ one `postMessage`, but it is batched: one per sleep, not one per record).
 * `claim` also calls `Atomics.notify`, so a waiter may instead use `waitAsync` below. Messages
 * stay the default: `waitAsync` moves records no faster (bench/ring.bench.ts compares the two)
 * and needs a ref'd handle per wait.
 */

/** Result of `SignalFlag.waitAsync`, as `Atomics.waitAsync` reports it. */
export type WaitResult = 'ok' | 'not-equal' | 'timed-out';

/** `Atomics.waitAsync` cannot wait longer than this without keeping a process alive forever. */
const KEEP_ALIVE_PERIOD_MS = 2 ** 30;

export class SignalFlag {
  readonly #words: Int32Array;
  readonly #index: number;

  /** `byteOffset`: a 4-byte aligned word of `buffer` (a `*_OFFSET` constant of layout.ts). */
  constructor(buffer: SharedArrayBuffer, byteOffset: number) {
    if (byteOffset % 4 !== 0 || byteOffset < 0 || byteOffset + 4 > buffer.byteLength) {
      throw new RangeError(`signal word at byte ${byteOffset} is not an aligned word of the buffer`);
    }
    this.#words = new Int32Array(buffer);
    this.#index = byteOffset >> 2;
  }

  /** Waiter: announce a wait for `condition` (> 0; its meaning is the flag's). Re-check after. */
  arm(condition = 1): void {
    Atomics.store(this.#words, this.#index, condition);
  }

  /**
   * Waiter: withdraw the announcement (the re-check found the condition met, or the wait ended).
   * Returns `true` if the flag was still armed, `false` if a signaller had claimed it already: a
   * signal is then on its way and will arrive spuriously.
   */
  disarm(): boolean {
    return Atomics.exchange(this.#words, this.#index, 0) !== 0;
  }

  /** Signaller: the armed condition, 0 when nobody waits (one atomic load; cheap to poll). */
  get value(): number {
    return Atomics.load(this.#words, this.#index);
  }

  /**
   * Signaller, after publishing progress: takes the flag if it still holds `condition` (> 0).
   * `true` exactly once per `arm`: the caller must then deliver one signal. Also wakes a waiter
   * blocked in `waitAsync`.
   */
  claim(condition: number): boolean {
    // A plain atomic load first: the common answer is "nobody waits", and a read-modify-write
    // would take the line (the waiter's hot line) exclusively on every call. The load is as
    // good as the exchange for the protocol: it is ordered after our publication all the same.
    if (condition === 0 || Atomics.load(this.#words, this.#index) !== condition) return false;
    if (Atomics.compareExchange(this.#words, this.#index, condition, 0) !== condition) return false;
    Atomics.notify(this.#words, this.#index);
    return true;
  }

  /**
   * Waiter, after `arm(condition)` and a re-check: resolves once a signaller claimed the flag
   * ('ok'), at once if it was already claimed ('not-equal'), or after `timeoutMs`.
   *
   * `Atomics.waitAsync` alone does not keep a thread's event loop alive (the thread would exit
   * while waiting), so a ref'd timer is held for the duration of the wait.
   */
  waitAsync(condition: number, timeoutMs = Infinity): Promise<WaitResult> {
    if (condition === 0) throw new RangeError('waitAsync needs the armed condition (> 0), not 0 (0 means nobody waits)');
    const result = Atomics.waitAsync(this.#words, this.#index, condition, timeoutMs);
    if (!result.async) return Promise.resolve(result.value);
    const keepAlive = setInterval(() => {}, KEEP_ALIVE_PERIOD_MS);
    return result.value.finally(() => clearInterval(keepAlive));
  }
}
