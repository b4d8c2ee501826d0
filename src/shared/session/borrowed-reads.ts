/**
 * Borrowed reads: an established socket reads into one buffer per thread instead of a fresh
 * Node buffer per read, through Node's `onread` mechanism (a `net.Socket` option), switched on
 * for a socket that already exists (architecture.md §3, "Borrowed reads").
 *
 * Why: a fresh 64 KiB buffer per socket read, then another for the body, was most of the
 * receiver's garbage (bench/receiver-cpu.ts measures receiver CPU per message). The bytes of a
 * read are the thread's only during the synchronous handling of that read: whatever is left in
 * the connection's memory afterwards (a partial chunk, everything not framed while paused) is
 * copied into buffers the connection owns before the read callback returns (`ownedCopy`).
 */
import { Socket } from 'node:net';

/**
 * Size of the thread's read buffer: one read takes at most this much. It is the per-connection
 * read budget of a turn (READ_BUDGET_PER_TURN, loop-turns.ts), so a busy connection still takes at
 * most that per turn, and a paused connection holds at most one read's rest. 1 MiB cost ~15 % less
 * receiver CPU per 64 KiB message than this, 64 KiB more (bench/receiver-cpu.ts, noisy), but one
 * read would then be four turns' budget.
 */
export const READ_BUFFER_SIZE = 256 * 1024;

/** The thread's read buffer (module state is per thread: main and each shard have their own). */
let threadReadBuffer: Buffer | undefined;

/** Reads taken through the borrowed path on this thread (tests check the fast path is taken). */
let borrowedReads = 0;

/**
 * What `onread` keeps on a `net.Socket` (Node 24 lib/net.js): the buffer and the callback, under
 * symbols found by value on a probe socket, never by their names; and `useUserBuffer` on its
 * handle, which makes the handle read into that buffer. `onStreamRead` then calls the callback
 * (as a method of the socket) instead of pushing a Buffer; EOF and errors still come as events.
 */
interface OnreadSymbols {
  readonly buffer: symbol;
  readonly callback: symbol;
}

type SymbolSlots = Record<symbol, unknown>;
interface UserBufferHandle {
  useUserBuffer?: (buffer: Uint8Array) => void;
}

let onreadSymbols: OnreadSymbols | null | undefined;

/** The symbols, found once per thread by building an unconnected socket with `onread`; null when this Node has no such mechanism. */
function findOnreadSymbols(): OnreadSymbols | null {
  const buffer = Buffer.alloc(1);
  const callback = (): boolean => true;
  let probe: Socket;
  try {
    probe = new Socket({ onread: { buffer, callback } });
  } catch {
    return null;
  }
  const slots = probe as unknown as SymbolSlots;
  let bufferSymbol: symbol | undefined;
  let callbackSymbol: symbol | undefined;
  for (const symbol of Object.getOwnPropertySymbols(probe)) {
    if (slots[symbol] === buffer) bufferSymbol = symbol;
    else if (slots[symbol] === callback) callbackSymbol = symbol;
  }
  probe.destroy();
  return bufferSymbol && callbackSymbol ? { buffer: bufferSymbol, callback: callbackSymbol } : null;
}

/**
 * Makes `socket` read into the thread's buffer from its next read on, calling `onRead` (with the
 * socket as `this`) with the byte count; its return `false` stops reading. Only a `net.Socket`
 * with a live handle qualifies, not yet in `onread` mode, with nothing buffered in its readable
 * side (those bytes would come as 'data' after borrowed ones). Returns false, and changes nothing,
 * where it does not: the caller stays on 'data' events.
 */
export function borrowReads(socket: Socket, onRead: (this: Socket, bytes: number) => boolean): boolean {
  if (!(socket instanceof Socket) || socket.destroyed || socket.readableLength !== 0) return false;
  const handle = (socket as unknown as { _handle?: UserBufferHandle | null })._handle;
  if (typeof handle?.useUserBuffer !== 'function') return false;
  onreadSymbols ??= findOnreadSymbols();
  if (onreadSymbols === null) return false;
  const slots = socket as unknown as SymbolSlots;
  if (slots[onreadSymbols.buffer] !== null || slots[onreadSymbols.callback] !== null) return false;
  const buffer = (threadReadBuffer ??= Buffer.allocUnsafeSlow(READ_BUFFER_SIZE));
  handle.useUserBuffer(buffer);
  slots[onreadSymbols.buffer] = buffer;
  slots[onreadSymbols.callback] = onRead;
  return true;
}

/** The bytes of the borrowed read just made (valid only until the read's callback returns). */
export function borrowedRead(bytes: number): Buffer {
  borrowedReads++;
  return threadReadBuffer!.subarray(0, bytes);
}

/** True when `bytes` lie in the thread's read buffer, so must not outlive the read's callback. */
export function isBorrowed(bytes: Uint8Array): boolean {
  return threadReadBuffer !== undefined && bytes.buffer === threadReadBuffer.buffer;
}

/** `bytes`, or a copy the caller owns when they lie in the thread's read buffer. */
export function ownedCopy(bytes: Buffer): Buffer {
  return isBorrowed(bytes) ? Buffer.from(bytes) : bytes;
}

/** How many reads this thread took through the borrowed path. */
export function borrowedReadCount(): number {
  return borrowedReads;
}
