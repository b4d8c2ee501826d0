/**
 * A pool's established connections and the peers they belong to: what `size`, `broadcast`'s
 * default recipients, the accept policy's view (slots taken, connected peers) and `stats()` read.
 */
import type { CloseReason, Connection, ConnectionEndWatcher } from './connection.ts';

export class ConnectionRegistry<Msg, Meta> implements ConnectionEndWatcher<Msg, Meta> {
  /** Connections established and not yet ended. */
  readonly active = new Set<Connection<Msg, Meta>>();
  /** Peer id → connections established or being accepted. */
  private readonly peers = new Map<string, number>();
  /** Connections the policy accepted whose Ack exchange is under way: they hold a slot too. */
  accepting = 0;
  /** Reads a connection's last totals before it leaves the registry. */
  private readonly onEnded: (conn: Connection<Msg, Meta>) => void;
  /** How each connection ended (the pool counts the errors streams end with). */
  private readonly onClose: (reason: CloseReason) => void;

  constructor(onEnded: (conn: Connection<Msg, Meta>) => void, onClose: (reason: CloseReason) => void) {
    this.onEnded = onEnded;
    this.onClose = onClose;
  }

  /** Connection slots taken: established ones and those being accepted. */
  get taken(): number {
    return this.active.size + this.accepting;
  }

  /** Whether a connection with `peerId` is established or being accepted. */
  hasPeer(peerId: string): boolean {
    return this.peers.has(peerId);
  }

  addPeer(peerId: string, delta: number): void {
    const count = (this.peers.get(peerId) ?? 0) + delta;
    if (count <= 0) this.peers.delete(peerId);
    else this.peers.set(peerId, count);
  }

  /**
   * Holds `conn` (its peer already added by the accept run) until it ends. The connection tells
   * the registry itself (`endWatcher`): no listener, closure or promise reaction per connection,
   * and nothing that keeps the accept run's scope (test/idle-connection-memory.test.ts).
   */
  register(conn: Connection<Msg, Meta>): void {
    this.active.add(conn);
    conn.endWatcher = this;
    if (conn.endedWith) this.connectionEnded(conn, conn.endedWith);
  }

  /** Called by the connection once its socket is gone, before its `'close'` event. */
  connectionEnded(conn: Connection<Msg, Meta>, reason: CloseReason): void {
    if (!this.active.delete(conn)) return;
    this.onClose(reason);
    this.onEnded(conn);
    this.addPeer(conn.info.peerId, -1);
  }
}
