/**
 * Message framing for the byte-stream systems (plain TCP, TLS): `u32 BE length ‖ body`, the same
 * framing our protocol uses inside its chunks (protocol.md §9.1), so every system carries the same
 * messages.
 */

export const PREFIX = 4;

/** `u32 BE length ‖ body` in one buffer. */
export function frame(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(PREFIX + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, PREFIX);
  return out;
}

/**
 * Cuts a byte stream into frames. `onFrame` gets each whole frame (prefix included) as a view of
 * the received buffer when it sits inside one, else a joined copy.
 */
export class FrameCollector {
  private carry: Buffer | undefined;
  private readonly onFrame: (frame: Buffer) => void;

  constructor(onFrame: (frame: Buffer) => void) {
    this.onFrame = onFrame;
  }

  push(data: Buffer): void {
    let buffer = data;
    if (this.carry) {
      buffer = Buffer.concat([this.carry, data]);
      this.carry = undefined;
    }
    let at = 0;
    while (buffer.length - at >= PREFIX) {
      const end = at + PREFIX + buffer.readUInt32BE(at);
      if (end > buffer.length) break;
      this.onFrame(buffer.subarray(at, end));
      at = end;
    }
    if (at < buffer.length) this.carry = Buffer.from(buffer.subarray(at));
  }
}

/**
 * Counts frames without assembling them (a sink that only needs sizes: bulk throughput, ingest):
 * `onFrame(bodyLength)` per completed frame.
 */
export class FrameCounter {
  private readonly header = Buffer.alloc(PREFIX);
  private headerFill = 0;
  /** Body bytes still to come of the frame in progress; -1 between frames. */
  private remaining = -1;
  private bodyLength = 0;
  private readonly onFrame: (bodyLength: number) => void;

  constructor(onFrame: (bodyLength: number) => void) {
    this.onFrame = onFrame;
  }

  push(data: Buffer): void {
    const length = data.length;
    let at = 0;
    while (at < length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, length - at);
        this.remaining -= take;
        at += take;
        if (this.remaining === 0) this.complete();
        continue;
      }
      if (this.headerFill === 0 && length - at >= PREFIX) {
        this.bodyLength = data.readUInt32BE(at);
        at += PREFIX;
      } else {
        const take = Math.min(PREFIX - this.headerFill, length - at);
        data.copy(this.header, this.headerFill, at, at + take);
        this.headerFill += take;
        at += take;
        if (this.headerFill < PREFIX) return;
        this.headerFill = 0;
        this.bodyLength = this.header.readUInt32BE(0);
      }
      this.remaining = this.bodyLength;
      if (this.remaining === 0) this.complete();
    }
  }

  private complete(): void {
    this.remaining = -1;
    this.onFrame(this.bodyLength);
  }
}
