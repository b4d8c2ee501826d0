/**
 * The record of one connection, from dial/accept to close: what `connect` prints as its summary
 * and `listen` prints for each connection. One shape for both (docs/cli.md).
 */
import { performance } from 'node:perf_hooks';
import type { ConnectionInfo } from '../shared/session/handshake.ts';
import type { Stat } from '../shared/session/traffic-stats.ts';
import type { NodeMetadata } from '../shared/wire/metadata.ts';
import type { NetworkVersion } from '../shared/wire/network-version.ts';
import { canonicalHost, formatPoint } from '../shared/wire/point.ts';
import { motiveName } from '../shared/wire/rejection.ts';
import { counted, errorJson, errorText, type JsonRecord } from './output.ts';
import { peerText } from './peer-text.ts';

export class ConnectionReport {
  /** The peer's address: the point dialled, or the TCP source of an incoming connection. */
  readonly remote: string;
  info: ConnectionInfo<NodeMetadata> | undefined;
  negotiated: NetworkVersion | undefined;
  /** The Nack we sent on purpose (`listen --nack`). */
  nackSent: { readonly motive: number; readonly points: readonly string[] } | undefined;
  messagesSent = 0;
  bytesSent = 0;
  messagesReceived = 0;
  bytesReceived = 0;
  /** `connect --expect-echo` only: whether every echo matched. */
  echoesMatched: boolean | undefined;
  /** Wire counters of the accepted connection (handshake, headers and tags included). */
  stat: Stat | undefined;
  private failure: { readonly error: unknown } | undefined;
  private readonly started = performance.now();
  private ended: number | undefined;

  constructor(remote: string) {
    this.remote = remote;
  }

  get ok(): boolean {
    return this.failure === undefined;
  }

  get error(): unknown {
    return this.failure?.error;
  }

  /** Records the first failure; later ones (teardown after it) are consequences. */
  fail(error: unknown): void {
    this.failure ??= { error };
  }

  finish(): void {
    this.ended ??= performance.now();
  }

  toJson(): JsonRecord {
    const info = this.info;
    return {
      ok: this.ok,
      remote: this.remote,
      peer_id: info?.peerId ?? null,
      announced_version: info ? versionJson(info.announcedVersion) : null,
      negotiated_version: this.negotiated ? versionJson(this.negotiated) : null,
      remote_metadata: info ? metadataJson(info.remoteMetadata) : null,
      nack_sent: this.nackSent
        ? { motive: this.nackSent.motive, motive_name: motiveName(this.nackSent.motive), alternative_points: [...this.nackSent.points] }
        : null,
      messages_sent: this.messagesSent,
      messages_received: this.messagesReceived,
      bytes_sent: this.bytesSent,
      bytes_received: this.bytesReceived,
      wire_bytes_sent: this.stat?.totalSent ?? null,
      wire_bytes_received: this.stat?.totalRecv ?? null,
      echoes_matched: this.echoesMatched ?? null,
      duration_ms: Math.round((this.ended ?? performance.now()) - this.started),
      error: this.failure ? errorJson(this.failure.error) : null,
    };
  }

  /** Short human lines: who, what was exchanged, how it ended. */
  describe(): string[] {
    const lines: string[] = [];
    const info = this.info;
    if (info) {
      lines.push(
        `peer ${info.peerId}: ${versionText(info.announcedVersion)}, ${metadataText(info.remoteMetadata)}` +
          (this.negotiated ? `; negotiated ddb ${this.negotiated.distributedDbVersion} p2p ${this.negotiated.p2pVersion}` : ''),
      );
    }
    if (this.nackSent) {
      const points = this.nackSent.points.length > 0 ? ` with ${this.nackSent.points.join(', ')}` : '';
      lines.push(`nacked with ${motiveName(this.nackSent.motive)}${points}`);
    }
    if (this.stat || this.messagesSent > 0 || this.messagesReceived > 0) {
      const echoes = this.echoesMatched === undefined ? '' : this.echoesMatched ? ', echoes matched' : ', echoes DID NOT match';
      const wire = this.stat ? `; wire ${this.stat.totalSent} B out, ${this.stat.totalRecv} B in` : '';
      lines.push(
        `sent ${counted(this.messagesSent, 'message')} (${this.bytesSent} B), received ${this.messagesReceived} (${this.bytesReceived} B)${echoes}${wire}`,
      );
    }
    lines.push(this.failure ? `failed: ${errorText(this.failure.error)}` : 'ok');
    return lines;
  }
}

export function versionJson(version: NetworkVersion): JsonRecord {
  return {
    chain_name: version.chainName,
    distributed_db_version: version.distributedDbVersion,
    p2p_version: version.p2pVersion,
  };
}

export function metadataJson(metadata: NodeMetadata): JsonRecord {
  return { disable_mempool: metadata.disableMempool, private_node: metadata.privateNode };
}

/** The peer's announced version for human output; its chain name escaped (peer-text.ts). */
export function versionText(version: NetworkVersion): string {
  return `${peerText(version.chainName)} ddb ${version.distributedDbVersion} p2p ${version.p2pVersion}`;
}

export function metadataText(metadata: NodeMetadata): string {
  return `disable_mempool=${metadata.disableMempool} private_node=${metadata.privateNode}`;
}

/** `a.b.c.d:port` / `[v6]:port` for a socket's address (IPv4-mapped shown as IPv4). */
export function addressText(host: string | undefined, port: number | undefined): string {
  const h = host ?? '?';
  const canonical = canonicalHost(h);
  if (canonical !== undefined && port !== undefined) return formatPoint({ host: canonical, port });
  return h.includes(':') ? `[${h}]:${port ?? '?'}` : `${h}:${port ?? '?'}`;
}
