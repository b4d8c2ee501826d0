/**
 * What a load run shows while it runs, on stderr (stdout stays for the summary): on a terminal
 * a few lines redrawn in place every second (log-update), else one plain line per second that a
 * log keeps readable.
 */
import type { Writable } from 'node:stream';
import { createLogUpdate } from 'log-update';
import { SATURATED_BUSY, type TimePoint } from './load-run.ts';
import { codes } from './load-summary.ts';

export interface LiveViewHeader {
  readonly target: string;
  readonly mode: string;
  readonly connections: number;
  readonly warmup: number;
  readonly duration: number;
  readonly processes: number;
}

export class LiveView {
  private readonly header: LiveViewHeader;
  private readonly stream: Writable;
  private readonly redraw: ReturnType<typeof createLogUpdate> | undefined;

  constructor(stream: Writable, interactive: boolean, header: LiveViewHeader) {
    this.stream = stream;
    this.header = header;
    this.redraw = interactive ? createLogUpdate(stream as NodeJS.WriteStream, { showCursor: true }) : undefined;
  }

  update(point: TimePoint): void {
    if (this.redraw) this.redraw(this.screen(point));
    else this.stream.write(`${plainLine(point, this.header)}\n`);
  }

  /** Leaves the last screen in place; what follows starts below it. */
  done(): void {
    this.redraw?.done();
  }

  private screen(p: TimePoint): string {
    const h = this.header;
    const saturated = p.busy >= SATURATED_BUSY ? 'SATURATED (numbers are the generator\'s limit)' : 'not saturated';
    return [
      `p2p-socket load ${h.target} · ${h.mode} · ${p.t.toFixed(0)} s · ${p.phase}` + (p.phase === 'measure' || p.phase === 'warmup' ? ` (warm-up ${h.warmup} s, measure ${h.duration} s)` : ''),
      `connections   ${p.connectionsUp} up / ${h.connections}      handshakes/s ${num(p.handshakesPerS)}`,
      `messages/s    out ${num(p.sentPerS)}   in ${num(p.receivedPerS)}   in flight ${num(p.inFlight)}`,
      `MB/s          out ${p.mbOutPerS.toFixed(2)}   in ${p.mbInPerS.toFixed(2)}`,
      `latency       p50 ${p.p50.toFixed(2)} ms   p99 ${p.p99.toFixed(2)} ms   max ${p.max.toFixed(2)} ms`,
      ...(Object.keys(p.byKind).length === 0 ? [] : [`by request    ${kindText(p)}`]),
      `errors        ${codes(p.errors)}`,
      `generator     ${h.processes} process${h.processes === 1 ? '' : 'es'}, busiest ${(p.busy * 100).toFixed(0)} % busy: ${saturated}`,
    ].join('\n');
  }
}

/** One line per second when stderr is not a terminal. */
export function plainLine(p: TimePoint, h: LiveViewHeader): string {
  const errors = Object.values(p.errors).reduce((a, b) => a + b, 0);
  return (
    `t=${p.t.toFixed(0)}s ${p.phase} conns=${p.connectionsUp}/${h.connections} hs/s=${num(p.handshakesPerS)} ` +
    `out=${num(p.sentPerS)}/s in=${num(p.receivedPerS)}/s MB/s=${p.mbOutPerS.toFixed(2)}/${p.mbInPerS.toFixed(2)} ` +
    `p50=${p.p50.toFixed(2)}ms p99=${p.p99.toFixed(2)}ms max=${p.max.toFixed(2)}ms errors=${errors} busy=${(p.busy * 100).toFixed(0)}%` +
    Object.entries(p.byKind)
      .map(([kind, k]) => ` ${kind}=${k.count}:p50=${k.p50.toFixed(2)}ms:p99=${k.p99.toFixed(2)}ms`)
      .join('')
  );
}

/** Node mode: each kind's answers and latency this second. */
function kindText(p: TimePoint): string {
  return Object.entries(p.byKind)
    .map(([kind, k]) => `${kind} ${k.count} p50 ${k.p50.toFixed(2)} ms p99 ${k.p99.toFixed(2)} ms`)
    .join('   ');
}

function num(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
