/**
 * What the crawler learns about one point it dialled: who answered (peer id, announced version,
 * metadata), its chain and head, the points it handed over, how long the handshake took, and,
 * when the dial failed, why, in one of a few kinds a person can act on.
 */
import type { BlockHead } from '../block-head.ts';
import { P2pError, RejectedByNackError } from '../../shared/errors.ts';
import type { NodeMetadata } from '../../shared/wire/metadata.ts';
import type { NetworkVersion } from '../../shared/wire/network-version.ts';
import type { Point } from '../../shared/wire/point.ts';
import { motiveName } from '../../shared/wire/rejection.ts';

/**
 * - refused: the TCP dial failed (nothing listens there, or the host is unreachable);
 * - timeout: no handshake within `--timeout` (a peer that accepts and stalls);
 * - nack: the peer answered our Ack with a Nack (its motive is kept);
 * - closed: the peer closed the socket during the handshake or its messages, without a Nack;
 * - garbage: the peer sent bytes that do not decode (handshake or peer messages);
 * - aborted: the crawl stopped (`--max-time`, Ctrl-C) while this dial ran;
 * - error: anything else, with its code.
 */
export type FailureKind = 'refused' | 'timeout' | 'nack' | 'closed' | 'garbage' | 'aborted' | 'error';

export interface PeerFailure {
  readonly kind: FailureKind;
  readonly code: string;
  readonly message: string;
  /** Nack only. */
  readonly motive?: number;
  readonly motiveName?: string;
}

export interface PeerRecord {
  readonly peerId: string | undefined;
  readonly announcedVersion: NetworkVersion | undefined;
  readonly metadata: NodeMetadata | undefined;
  /** `Net…`, from the peer's Get_current_branch or its answers. */
  readonly chainId: string | undefined;
  /** From Current_head, else from Current_branch's locator. */
  readonly head: BlockHead | undefined;
  /** Points from Advertise and from a Nack's alternatives, canonical and without duplicates. */
  readonly advertised: readonly Point[];
  /** From the first byte dialled to the Ack: connection messages, metadata, Ack. */
  readonly handshakeMs: number | undefined;
  readonly failure: PeerFailure | undefined;
}

/** Codes of bytes a well-behaved peer never sends. */
const GARBAGE_CODES = new Set([
  'DECODING_ERROR',
  'DECIPHER_ERROR',
  'INVALID_AUTH',
  'INVALID_INCOMING_CIPHERTEXT_SIZE',
  'INVALID_MESSAGE_SIZE',
  'INVALID_PUBLIC_KEY',
  'NOT_ENOUGH_PROOF_OF_WORK',
]);

/** Sorts a dial's failure into its kind. */
export function classifyFailure(error: unknown, aborted: boolean): PeerFailure {
  const code = error instanceof P2pError ? error.code : error instanceof Error && typeof (error as { code?: unknown }).code === 'string' ? String((error as { code?: unknown }).code) : 'INTERNAL_ERROR';
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof RejectedByNackError) return { kind: 'nack', code, message, motive: error.motive, motiveName: motiveName(error.motive) };
  if (aborted) return { kind: 'aborted', code, message };
  if (code === 'TIMEOUT') return { kind: 'timeout', code, message };
  // connect.ts names a failed dial "cannot connect to HOST:PORT: …" (ECONNREFUSED, EHOSTUNREACH).
  if (code === 'CONNECTION_CLOSED' && message.startsWith('cannot connect')) return { kind: 'refused', code, message };
  if (code === 'CONNECTION_CLOSED' || code === 'REJECTED_SOCKET_CONNECTION') return { kind: 'closed', code, message };
  if (GARBAGE_CODES.has(code)) return { kind: 'garbage', code, message };
  return { kind: 'error', code, message };
}
