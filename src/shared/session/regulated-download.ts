/**
 * The download half of bandwidth regulation for one connection in stream mode (protocol.md
 * §12.1): what the socket delivered is handed on in steps of at most `readBufferSize` bytes, each
 * charged to the connection's share; once the quota is spent, the rest of the read waits here (at
 * most one socket read) and reading stops until the regulator wakes the connection.
 */
import type { P2pError } from '../errors.ts';
import { ownedCopy } from './borrowed-reads.ts';
import type { ByteQueue } from './byte-queue.ts';
import type { Regulator, Share } from './io-scheduler.ts';
import type { InputListener } from './transport.ts';

/** What the regulation feeds and holds: the transport (transport.ts). */
export interface RegulatedReader {
  readonly input: ByteQueue;
  readonly failure: P2pError | undefined;
  readonly onInput: InputListener | undefined;
  /** Stops reading the socket until `quotaAgain`. */
  holdForQuota(): void;
  /** Quota again: reading goes on unless another reason holds it. */
  quotaAgain(): void;
}

export class RegulatedDownload {
  readonly share: Share;
  /** Reading waits for quota (the regulator's pause, not the peer's stall: byte-engine.ts). */
  throttled = false;
  /** The rest of a socket read that the quota did not cover yet. */
  private backlog: Buffer | undefined;
  private readonly regulator: Regulator;
  private readonly step: number;
  private readonly reader: RegulatedReader;

  constructor(regulator: Regulator, step: number, reader: RegulatedReader) {
    this.regulator = regulator;
    this.step = step;
    this.reader = reader;
    this.share = { quota: 0, waiting: false, active: false, wake: () => this.wake() };
  }

  /** A stream-mode read; one that lands while earlier bytes still wait for quota (pause is not instant) queues behind them. */
  feed(data: Buffer): void {
    if (this.backlog) this.backlog = Buffer.concat([this.backlog, data]);
    else this.feedSteps(data);
  }

  /** Charges bytes handed on whole (the handshake reads exact lengths). */
  charge(bytes: number): void {
    this.regulator.charge(this.share, bytes);
  }

  /** The regulator has quota again for this connection: first the rest of the last read, then the socket. */
  private wake(): void {
    this.throttled = false;
    const backlog = this.backlog;
    this.backlog = undefined;
    if (backlog && !this.reader.failure) this.feedSteps(backlog);
    if (!this.throttled) this.reader.quotaAgain();
  }

  /** Hands `data` on in steps, each charged; when the quota is spent, the rest waits in `backlog`. */
  private feedSteps(data: Buffer): void {
    const reader = this.reader;
    let offset = 0;
    while (offset < data.length) {
      const end = Math.min(data.length, offset + this.step);
      reader.input.push(offset === 0 && end === data.length ? data : data.subarray(offset, end));
      this.regulator.charge(this.share, end - offset);
      offset = end;
      reader.onInput?.inputReceived();
      if (reader.failure || !reader.onInput) return; // the session ended or left stream mode
      if (!this.regulator.mayProceed(this.share)) {
        if (offset < data.length) this.backlog = data.subarray(offset);
        this.throttled = true;
        reader.holdForQuota();
        this.regulator.wait(this.share);
        return;
      }
    }
  }

  /**
   * The peer ended while part of a read still waited for quota: those bytes were sent before the
   * end and are already in memory, so the session frames them with the rest (its end-of-stream
   * pump) instead of losing them; they are charged, as a debt (test: regulated-download-faults).
   */
  release(): void {
    const backlog = this.backlog;
    if (!backlog) return;
    this.backlog = undefined;
    this.reader.input.push(backlog);
    this.regulator.charge(this.share, backlog.length);
  }

  /** Drops what waits (a local close or failure). */
  drop(): void {
    this.backlog = undefined;
  }

  /** Before a borrowed read's callback returns: the backlog becomes the connection's own bytes (borrowed-reads.ts). */
  ownBorrowed(): void {
    if (this.backlog) this.backlog = ownedCopy(this.backlog);
  }
}
