/**
 * Cuts the decrypted chunk stream into messages by the Tezos rule: `u32 BE length ‖ body`
 * (`dynamic_size`, protocol.md §9.1–§9.2). Messages may span chunks, a chunk may end inside a
 * message, and one chunk may hold several messages (OCaml never writes that, but receivers
 * must accept it).
 */
import { DecodingError } from '../errors.ts';
import { bodyPool } from './body-pool.ts';
import { MESSAGE_PREFIX_LENGTH } from './encoded-message.ts';

/**
 * A body that spans chunks is filled in place in one buffer (no join at the end: a join is a
 * large share of the receiver's time, as bench/bulk-loopback.ts shows). The buffer grows with
 * what the peer actually sends, never with what it announced (a peer announcing 100 MiB and
 * trickling it must not make us hold all of it, nor a second copy at the join): it starts at
 * twice the first piece, at least this much (a 64 KiB message then fits at once: no regrowth on
 * the bulk path), and grows (`reserve`) to at most 4× what arrived. Where the pending-message
 * budget is tight (`growthRoom`), it grows by no more than the budget allows beyond the bytes
 * that arrived.
 */
const MIN_BODY_CAPACITY = 128 * 1024;

/** Bodies below this come from Node's shared pool (half its 8 KiB slab, as Node's own rule). */
const POOLED_BODY_MAX = 4096;

/**
 * Chunks with at least this much content that hold only body bytes of a message spanning chunks
 * are opened straight into the body (`directTarget`) instead of in place and then copied into
 * it. The bound keeps bodies opened that way unpooled, so they can be transferred.
 */
export const DIRECT_CONTENT_MIN = POOLED_BODY_MAX;

/**
 * A chunk that starts a message is opened straight into a new body only from this much content:
 * sizing the body first costs a keystream peek (one more libsodium call), and what it saves is a
 * copy of warm bytes (the fresh body is written once either way), so it pays only for large
 * content (bench/bulk-loopback.ts and bench/load.ts W5 exercise this path).
 * The case it is for: a 64 KiB message does not fit one chunk (65,517 bytes of content).
 */
export const PEEKED_CONTENT_MIN = 48 * 1024;

/**
 * The body of every empty message: one shared zero-length buffer (nothing in it can change), so a
 * flood of empty messages costs no buffer per message in a queue (a shard's batches use it too).
 */
export const EMPTY_BODY = Buffer.alloc(0);

export interface FramedMessage {
  /** Stream bytes the message used: prefix + body (what OCaml's `read` returns as `size`). */
  readonly size: number;
  readonly body: Buffer;
  /**
   * The body lies in an ArrayBuffer that holds nothing else anyone reads (assembled here from
   * several chunks, or copied out of a plaintext that does not stay valid): the body runs to its
   * end, after at most the message's own 4-byte prefix (a message opened straight into its
   * buffer, `directTarget`). A shard may transfer that buffer to main as it is, with the body's
   * offset (architecture.md §3).
   */
  readonly owned?: boolean;
}

/**
 * Takes whole message bodies where they lie in a chunk's plaintext, before they become
 * FramedMessages. A shard copies every small body into its ring batch at once, so the body view
 * and the message object the framer would make for it were garbage the moment they were made
 * (two allocations per 100-byte message in W2 ingest).
 */
export interface BodyTaker {
  /**
   * The body is `plain[start, start + length)`, valid only during the call (copy what you keep).
   * Returns false to decline: the framer then emits it as a FramedMessage.
   */
  takeBody(plain: Buffer, start: number, length: number): boolean;
}

/** The caller's queue, asked between messages whether framing must stop (MessageFramer.push). */
export interface QueueHold {
  readonly full: boolean;
}

export class MessageFramer {
  private readonly maxMessageSize: number;
  /**
   * A prefix split across chunks, accumulated as a number: a 4-byte Buffer here cost 224 B of
   * heap on every idle connection (bench/idle-memory.ts).
   */
  private prefixValue = 0;
  private prefixFill = 0;
  /** Body length of the message in progress, or -1 while its prefix is incomplete. */
  private bodyLength = -1;
  /** Body in progress (capacity ≤ the announced length), filled in place up to `partsLength`. */
  private body: Buffer | undefined;
  private partsLength = 0;

  /** Copy small messages out of large received buffers (see `detach`). */
  private readonly detachSmall: boolean;

  /**
   * Its `growthRoom`: bytes a body may grow by beyond what the bytes received need (the session's
   * room in the pending-message budget, pending-charge.ts); unset: as much as the rule above gives.
   */
  growth: { readonly growthRoom: number } | undefined;

  /**
   * @param maxMessageSize largest `size` (prefix + body) accepted; larger gives SIZE_LIMIT_EXCEEDED.
   * @param detachSmall copy a small message out of the large buffer it arrived in, so a queue of
   *   them does not pin the buffers. A shard turns it off: it copies every message into its ring
   *   at once and its queue is small, so the copy would be made twice.
   */
  constructor(maxMessageSize: number, detachSmall = true) {
    this.maxMessageSize = maxMessageSize;
    this.detachSmall = detachSmall;
  }

  /** Bytes of memory the message in progress holds (for the pending-message budget). */
  get pendingBytes(): number {
    return (this.body?.length ?? 0) + this.prefixFill;
  }

  /**
   * Drops the message in progress: the stream has ended, so it can never complete. Its memory
   * goes with the pending budget's charge (the session may outlive the stream: an application
   * holds a failed connection as long as it likes).
   */
  discard(): void {
    this.body = undefined;
    this.partsLength = 0;
    this.bodyLength = -1;
    this.prefixFill = 0;
    this.prefixValue = 0;
  }

  /** Bytes the body in progress can still take without growing. */
  get spareCapacity(): number {
    return (this.body?.length ?? 0) - this.partsLength;
  }

  /** Bytes of the message in progress received so far (progress, for the message timeout). */
  get receivedBytes(): number {
    return this.partsLength + this.prefixFill;
  }

  /**
   * Feeds one chunk's plaintext; calls `emit` for each completed message, in order. `stable`:
   * the plaintext stays valid after this call (a received buffer), so a message inside it may be
   * handed out as a view; otherwise (a reused scratch buffer) every byte kept is copied. `taker`:
   * offered each body that lies whole in this chunk before it is emitted. `hold`: asked between
   * messages; when full, framing stops there. Returns the bytes framed: less than the plaintext only
   * when `hold` stopped it, and the caller feeds the rest later.
   */
  push(plain: Buffer, emit: (message: FramedMessage) => void, stable = true, taker?: BodyTaker, hold?: QueueHold): number {
    let at = 0;
    while (at < plain.length) {
      // Between messages: the caller's queue is full, the rest waits unframed (returned offset).
      if (hold !== undefined && this.bodyLength < 0 && this.prefixFill === 0 && hold.full) return at;
      if (this.bodyLength < 0) {
        if (this.prefixFill === 0 && plain.length - at >= MESSAGE_PREFIX_LENGTH) {
          this.startBody(plain.readUInt32BE(at));
          at += MESSAGE_PREFIX_LENGTH;
        } else {
          const count = Math.min(MESSAGE_PREFIX_LENGTH - this.prefixFill, plain.length - at);
          for (let i = 0; i < count; i++) this.prefixValue = this.prefixValue * 256 + plain[at + i]!;
          this.prefixFill += count;
          at += count;
          if (this.prefixFill < MESSAGE_PREFIX_LENGTH) return at;
          const length = this.prefixValue;
          this.prefixFill = 0;
          this.prefixValue = 0;
          this.startBody(length);
        }
        if (this.bodyLength === 0) {
          this.finish(EMPTY_BODY, emit);
          continue;
        }
      }
      const missing = this.bodyLength - this.partsLength;
      const count = Math.min(missing, plain.length - at);
      // The prefix ended the chunk: the body starts in the next one, and nothing is allocated yet.
      if (count === 0) return at;
      if (this.partsLength === 0 && count === this.bodyLength) {
        const start = at;
        at += count;
        if (taker !== undefined && taker.takeBody(plain, start, count)) {
          this.bodyLength = -1;
          continue;
        }
        const piece = plain.subarray(start, at);
        if (stable) this.finish(this.detachSmall ? detach(piece) : piece, emit);
        else if (count < POOLED_BODY_MAX) this.finish(Buffer.from(piece), emit);
        else this.finish(ownedCopy(piece), emit, true); // a copy anyway: one a shard can transfer as it is
        continue;
      }
      const piece = plain.subarray(at, at + count);
      at += count;
      this.reserve(this.partsLength + count);
      piece.copy(this.body!, this.partsLength);
      this.partsLength += count;
      if (this.partsLength === this.bodyLength) this.finishBody(emit);
    }
    return at;
  }

  /** The body in progress is complete. */
  private finishBody(emit: (message: FramedMessage) => void): void {
    const body = this.body!;
    this.body = undefined;
    this.partsLength = 0;
    // Its own ArrayBuffer (unpooled: `reserve`, `directTarget`), up to the end, after at most its prefix.
    const owned = body.byteOffset <= MESSAGE_PREFIX_LENGTH && body.byteOffset + body.byteLength === body.buffer.byteLength && body.length >= POOLED_BODY_MAX;
    this.finish(body, emit, owned);
  }

  /**
   * Where the next chunk's plaintext (`content` bytes, not yet opened) can be decrypted straight
   * into the message body, or undefined: then open it in place and `push` it. `announced` is
   * what its first 4 plaintext bytes will read as (ChunkOpener.peekHeldUInt32BE), unauthenticated;
   * asked only where `wantsPrefixPeek` is true, else -1.
   *
   * Only a chunk that holds body bytes of one message spanning chunks and nothing else qualifies:
   * the rest of a message in progress, or the start of one longer than the chunk. Nothing here
   * acts on `announced` but the size of the buffer, under the same rule as `reserve` (at most 4×
   * what arrived); a length past the limit is left to `push`, which refuses it after the tag is
   * checked, so a forged chunk still ends in DECIPHER_ERROR. Call `pushDirect` with the target
   * once the chunk is opened into it.
   */
  directTarget(content: number, announced: number): Buffer | undefined {
    if (content < DIRECT_CONTENT_MIN) return undefined;
    if (this.bodyLength < 0) {
      // A message start (`wantsPrefixPeek`): the prefix and the first body bytes.
      if (this.prefixFill !== 0 || announced < 0 || content < PEEKED_CONTENT_MIN) return undefined;
      const first = content - MESSAGE_PREFIX_LENGTH;
      if (announced <= first || announced > 0x7fffffff || announced + MESSAGE_PREFIX_LENGTH > this.maxMessageSize) return undefined;
      const capacity = this.withinRoom(bodyCapacity(announced, first, 0), first);
      // Not kept here until the chunk is authenticated (`pushDirect`): a forged chunk leaves nothing held.
      return bodyPool.take(MESSAGE_PREFIX_LENGTH + capacity).subarray(0, content);
    }
    if (content > this.bodyLength - this.partsLength) return undefined;
    this.reserve(this.partsLength + content);
    return this.body!.subarray(this.partsLength, this.partsLength + content);
  }

  /** Whether `directTarget` wants the next chunk's announced length (a message start, and a chunk large enough). */
  wantsPrefixPeek(content: number): boolean {
    return this.bodyLength < 0 && this.prefixFill === 0 && content >= PEEKED_CONTENT_MIN;
  }

  /** The chunk `directTarget` returned `target` for was opened and authenticated into it: frame its `content` bytes. */
  pushDirect(target: Buffer, content: number, emit: (message: FramedMessage) => void): void {
    if (this.bodyLength < 0) {
      // A message start: `target` is the first `content` bytes of a buffer of its own (prefix, then body).
      const head = Buffer.from(target.buffer, 0, target.buffer.byteLength);
      // The authenticated prefix decides, through the same check as `push` (the peek only sized the buffer).
      const length = head.readUInt32BE(0);
      this.startBody(length);
      if (head.length - MESSAGE_PREFIX_LENGTH > length || length <= content - MESSAGE_PREFIX_LENGTH) {
        // Not what the peek said (it reads the same keystream bytes, so only a wrong caller's can differ): frame it the plain way.
        this.bodyLength = -1;
        this.push(head.subarray(0, content), emit);
        return;
      }
      this.body = head.subarray(MESSAGE_PREFIX_LENGTH);
      this.partsLength = content - MESSAGE_PREFIX_LENGTH;
      return;
    }
    this.partsLength += content;
    if (this.partsLength === this.bodyLength) this.finishBody(emit);
  }

  /**
   * Makes room for `needed` body bytes: the whole announced length once that is at most 4× what
   * arrived, else double. Doubling alone would copy most of a large body several times over;
   * the 4× step keeps those copies few (bench/bulk-loopback.ts measures bulk throughput).
   */
  private reserve(needed: number): void {
    const capacity = this.body?.length ?? 0;
    if (needed <= capacity) return;
    // Large bodies unpooled (or memory a released lent body gave back, body-pool.ts): a finished one
    // may be transferred to another thread (FramedMessage.owned); small ones stay pooled (much
    // cheaper to allocate) and are never transferred.
    const length = this.withinRoom(bodyCapacity(this.bodyLength, needed, capacity), needed);
    const grown = length >= POOLED_BODY_MAX ? bodyPool.take(length) : Buffer.allocUnsafe(length);
    this.body?.copy(grown, 0, 0, this.partsLength);
    this.body = grown;
  }

  /** `wanted` bytes of capacity, cut down to what `growth` allows beyond the `needed` ones. */
  private withinRoom(wanted: number, needed: number): number {
    const growth = this.growth;
    return growth === undefined || wanted <= needed ? wanted : Math.min(wanted, needed + growth.growthRoom);
  }

  private startBody(length: number): void {
    // Data_encoding reads the prefix as a non-negative int32 (protocol.md §14.3); anything above our
    // bound is refused before a byte of the body is held.
    if (length > 0x7fffffff || length + MESSAGE_PREFIX_LENGTH > this.maxMessageSize) {
      throw new DecodingError('SIZE_LIMIT_EXCEEDED', `message of ${length} bytes exceeds the limit of ${this.maxMessageSize}`);
    }
    this.bodyLength = length;
  }

  private finish(body: Buffer, emit: (message: FramedMessage) => void, owned = false): void {
    const size = this.bodyLength + MESSAGE_PREFIX_LENGTH;
    this.bodyLength = -1;
    emit(owned ? { size, body, owned } : { size, body });
  }
}

/**
 * How many bytes to hold for a `length`-byte body once `arrived` of its bytes are here and
 * `held` are already held (MessageFramer.reserve, directTarget): the whole body when that is at
 * most 4× what arrived, else double, never more than the body (the rule above).
 */
function bodyCapacity(length: number, arrived: number, held: number): number {
  return Math.min(length, length <= arrived * 4 ? length : Math.max(arrived * 2, held * 2, MIN_BODY_CAPACITY));
}

/**
 * A message that sits inside one received buffer is returned as a view, unless it is small next
 * to that buffer: then it is copied, so a queued 100-byte message does not pin a 64 KiB read.
 */
/** `piece` copied into an ArrayBuffer of its own (FramedMessage.owned). */
function ownedCopy(piece: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(piece.length);
  piece.copy(copy);
  return copy;
}

function detach(piece: Buffer): Buffer {
  return piece.length * 2 < piece.buffer.byteLength ? Buffer.from(piece) : piece;
}
