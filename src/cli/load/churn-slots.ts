/**
 * Churn mode: each of `connections` slots dials, completes the handshake, closes, and again; the
 * latency is the handshake's. Open loop, a slot starts a handshake only on a ticket: the time
 * the schedule made it due.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { countFailure, type GeneratorCounters } from './generator-counters.ts';
import type { Conn, Outstanding } from './generator-peer.ts';
import type { GeneratorSpec } from './generator-spec.ts';

/** What the slots need from their generator. */
export interface ChurnHost {
  readonly counters: GeneratorCounters;
  /** Dials and completes the handshake for slot `index`. */
  dial(index: number): Promise<Conn>;
  /** Records a handshake's latency. */
  complete(entry: Outstanding): void;
  running(): boolean;
}

export class ChurnSlots {
  private readonly spec: GeneratorSpec;
  private readonly host: ChurnHost;
  private readonly slots: Promise<void>[] = [];
  /** Open-loop churn: due times of handshakes not yet started. */
  private readonly tickets: number[] = [];
  private readonly waiters: Array<() => void> = [];

  constructor(spec: GeneratorSpec, host: ChurnHost) {
    this.spec = spec;
    this.host = host;
  }

  async start(): Promise<void> {
    for (let i = 0; i < this.spec.connections; i++) this.slots.push(this.slot(i));
  }

  /** Open loop: one more handshake is due at `due`. */
  addTicket(due: number): void {
    this.tickets.push(due);
    this.waiters.shift()?.();
  }

  /** Wakes every slot waiting for a ticket (at stop). */
  wakeAll(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Settles once every slot has ended. */
  done(): Promise<unknown> {
    return Promise.all(this.slots);
  }

  private async slot(index: number): Promise<void> {
    const { counters } = this.host;
    const open = this.spec.rate !== undefined;
    // Slots start staggered when paced, so handshakes do not all come at once.
    if (this.spec.ramp !== undefined) await sleep((index * 1000) / this.spec.ramp);
    while (this.host.running()) {
      let due = performance.now();
      if (open) {
        const ticket = this.tickets.shift();
        if (ticket === undefined) {
          await new Promise<void>((resolve) => this.waiters.push(resolve));
          continue;
        }
        due = ticket;
      }
      const started = performance.now();
      try {
        const conn = await this.host.dial(index);
        counters.handshakesOk++;
        counters.connectionsUp++;
        counters.peakConnections = Math.max(counters.peakConnections, counters.connectionsUp);
        this.host.complete({ due, sent: started, size: 0, seq: 0 });
        await conn.close().catch(() => undefined);
        counters.connectionsUp--;
      } catch (error) {
        countFailure(counters.handshakeErrors, error);
        // A refusing target must not turn the slot into a busy loop.
        await sleep(10);
      }
    }
  }
}
