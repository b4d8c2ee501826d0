/**
 * One message to many connections (`pool.broadcast`): encoded once, and sent to each shard once
 * with the list of its connections, instead of once per connection (architecture.md §3). Each
 * shard then seals its one copy into a pooled buffer per connection; inline connections seal
 * this batch's layout the same way, on this thread (encoded-message.ts `sharedLayout`).
 *
 * Each connection admits or drops the message by its own outgoing bound, as `writeNow` does; the
 * ring records go out in `flush`, after every connection decided, in the same turn, so the
 * message keeps its place among each connection's other writes.
 */
import type { EncodedMessage } from '../shared/session/encoded-message.ts';
import type { ShardLink } from './ring-link.ts';
import type { SessionBackend } from './session-backend.ts';

export interface BroadcastResult {
  /** Connections whose outgoing queue took the message. */
  readonly queued: number;
  /** Connections that refused it: a full outgoing queue, or closed. */
  readonly dropped: number;
}

export class BroadcastBatch<Msg> {
  readonly message: Msg;
  /** One encoding per chunk size (a pool's connections normally share one). */
  private readonly encodings = new Map<number, EncodedMessage>();
  private lastChunkSize = 0;
  private lastEncoding: EncodedMessage | undefined;
  /**
   * Per shard link and encoding: the connection ids that admitted it. A list scanned per offer,
   * not maps: there are as many entries as shards (times chunk sizes, normally one), and
   * consecutive connections sit on different shards (they are dealt round-robin), so two map
   * lookups per connection would rarely hit a cache and would be most of `offer`'s work.
   */
  private readonly targets: Array<{ readonly link: ShardLink; readonly layout: EncodedMessage; readonly ids: number[] }> = [];
  private queued = 0;
  private dropped = 0;

  constructor(message: Msg) {
    this.message = message;
  }

  /** The message laid out for `chunkContentSize`, encoded on first use by `encode`. */
  layoutFor(chunkContentSize: number, encode: () => EncodedMessage): EncodedMessage {
    // A pool's connections normally share one chunk size: no map lookup per connection then.
    if (chunkContentSize === this.lastChunkSize && this.lastEncoding) return this.lastEncoding;
    let layout = this.encodings.get(chunkContentSize);
    if (!layout) {
      layout = encode();
      this.encodings.set(chunkContentSize, layout);
    }
    this.lastChunkSize = chunkContentSize;
    this.lastEncoding = layout;
    return layout;
  }

  /** Offers the layout to one connection's session; true if it was queued. */
  offer(session: SessionBackend, layout: EncodedMessage): boolean {
    const queued = !session.closed && session.joinBroadcast(this as BroadcastBatch<unknown>, layout);
    if (queued) this.queued++;
    else this.dropped++;
    return queued;
  }

  /** A sharded connection's share: its id joins its shard's list for this layout. */
  addTarget(link: ShardLink, layout: EncodedMessage, id: number): void {
    for (const entry of this.targets) {
      if (entry.link === link && entry.layout === layout) {
        entry.ids.push(id);
        return;
      }
    }
    this.targets.push({ link, layout, ids: [id] });
  }

  /** Sends each shard its one copy; returns the counts and the ring bytes that took. */
  flush(): BroadcastResult & { readonly ringBytes: number } {
    let ringBytes = 0;
    for (const { link, layout, ids } of this.targets) ringBytes += link.sendBroadcast(ids, layout.buffer);
    this.targets.length = 0;
    return { queued: this.queued, dropped: this.dropped, ringBytes };
  }
}
