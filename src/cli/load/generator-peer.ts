/**
 * One connection slot of a generator: its connection (node mode: its session), the messages
 * outstanding in the order they were sent, and, open loop, the due times waiting for a free
 * in-flight slot.
 */
import type { Connection, NodeMetadata } from '../../main/index.ts';
import type { NodeSession } from './node-traffic.ts';

export type Conn = Connection<Uint8Array, NodeMetadata>;

/** A message sent and not yet answered: when it was due, when it went, its size and number. */
export interface Outstanding {
  readonly due: number;
  readonly sent: number;
  readonly size: number;
  readonly seq: number;
}

export class Peer {
  readonly index: number;
  conn: Conn | undefined;
  /** Node mode: the connection's session (then `conn` stays unset). */
  node: NodeSession | undefined;
  readonly outstanding: Outstanding[] = [];
  /** Open loop: due times of messages waiting for a free in-flight slot. */
  readonly backlog: number[] = [];
  seq = 0;
  refillScheduled = false;
  constructor(index: number) {
    this.index = index;
  }
}

/** One reusable body per size: random bytes, its first 4 rewritten per message. */
export class MessageBodies {
  private readonly scratch = new Map<number, Buffer>();

  get(size: number): Buffer {
    let body = this.scratch.get(size);
    if (body === undefined) {
      body = Buffer.alloc(size, 0xa5);
      for (let i = 0; i < size; i++) body[i] = (i * 131 + 7) & 0xff;
      this.scratch.set(size, body);
    }
    return body;
  }
}
