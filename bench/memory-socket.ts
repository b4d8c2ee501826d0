/**
 * What SessionTransport and ByteEngine use of a net.Socket, in memory, for the benches
 * that run the receive path without the kernel (echo-path.ts, ingest-path.ts): bytes arrive as
 * 'data' events the bench emits; writes are only counted.
 */
import { EventEmitter } from 'node:events';

export class MemorySocket extends EventEmitter {
  bytesWritten = 0;
  writes = 0;
  closed = false;
  destroyed = false;
  writableNeedDrain = false;
  private paused = false;
  write(bytes: Buffer): boolean {
    this.writes++;
    this.bytesWritten += bytes.length;
    return true;
  }
  cork(): void {}
  uncork(): void {}
  setNoDelay(): this {
    return this;
  }
  isPaused(): boolean {
    return this.paused;
  }
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  end(): this {
    this.destroy();
    return this;
  }
  destroy(): this {
    if (!this.destroyed) {
      this.destroyed = this.closed = true;
      this.emit('close');
    }
    return this;
  }
}

