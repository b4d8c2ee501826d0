/**
 * p2p-socket: typed, authenticated, encrypted peer connections, wire-compatible with the
 * Tezos-family `P2p_socket` layer. What a server or client author uses; the protocol's building
 * blocks (versions, points, metadata codecs, proof-of-work targets …) are in `p2p-socket/wire`.
 * Usage: README.md, docs/api.md and the runnable files in examples/.
 */
// First: an unsupported Node fails here, before anything else loads (node-version.ts).
import './require-node-version.ts';

export { authenticate, type AuthenticateOptions } from './authenticate.ts';
export { Pool, type PoolEvents, type PoolOptions, type PoolStats } from './pool.ts';
export type { PoolServer, PoolServerEvents } from './pool-server.ts';
export type { ShardStats } from './pool-engine.ts';
export type { AddressList, ListedEntry } from './address-list.ts';
export type { AdmissionRefusal } from './handshake-admission.ts';
export type { Greylisting, Refusal, RefusalOption } from './refusal.ts';
export type { BroadcastResult } from './broadcast-batch.ts';
export { defaultPolicy, type PolicyDecision, type PolicyHook, type PolicyView } from './accept-policy.ts';
export { connect, type ConnectOptions } from './connect.ts';
export { AuthenticatedConnection, type AcceptOptions } from './authenticated-connection.ts';
export { Connection, type AcceptedInfo, type CloseOptions, type CloseOutcome, type CloseReason, type ConnectionEvents, type Received, type LentMessage, type EncodedMessage, type SessionEnd, type Stat } from './connection.ts';
export { bytesCodec, msgpackCodec, type MessageCodec } from './codecs.ts';
export {
  DEFAULT_INCOMING_QUEUE_SIZE,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_OUTGOING_QUEUE_SIZE,
  DEFAULT_POW_DIFFICULTY,
} from './options.ts';
export { generateIdentity, type GenerateIdentityOptions, type GenerateIdentityProgress, type GenerateIdentityResult } from './generate-identity.ts';

export type { ConnectionInfo } from '../shared/session/handshake.ts';
export { copyEncodedMessage } from '../shared/session/encoded-message.ts';
export { DEFAULT_MAX_PENDING_MESSAGE_BYTES } from '../shared/session/pending-message-budget.ts';
export {
  P2pError,
  ConnectionClosedError,
  DecipherError,
  InvalidAuthError,
  RejectedSocketConnectionError,
  NotEnoughProofOfWorkError,
  MyselfError,
  RejectedByNackError,
  InvalidIncomingCiphertextSizeError,
  InvalidMessageSizeError,
  InvalidChunksSizeError,
  DecodingError,
  EncodingError,
  InvalidPublicKeyError,
  TimeoutError,
  AbortedError,
  IdentityMismatchError,
  IdentityKeysMismatchError,
  InsufficientProofOfWorkError,
  InvalidIdentityError,
  EncodedMessageConsumedError,
  type LentMessageReleasedError,
  RejectedNoCommonProtocolError,
  PoolError,
  TooManyConnectionsError,
  AlreadyConnectedError,
  PointBannedError,
  PeerBannedError,
  PrivateModeError,
  RejectedError,
  PoolClosedError,
  ShardFailedError,
  PolicyFailedError,
  type AnyP2pError,
  type AnyPoolError,
  type P2pErrorCode,
  type PoolErrorCode,
  type ConnectionClosedOptions,
  type CodingErrorOptions,
  type DecodingReason,
  type ErrorRecord,
} from '../shared/errors.ts';
export {
  identityFromJson,
  identityFromKeys,
  identityToJson,
  readIdentityFile,
  writeIdentityFile,
  type Identity,
  type IdentityCheckOptions,
  type IdentityJson,
} from '../shared/identity.ts';
export {
  MAVRYK,
  MAVRYK_BASENET,
  MAVRYK_MAINNET,
  SANDBOXED_MAVRYK,
  SANDBOXED_MAVRYK_MAINNET,
  type NetworkVersion,
} from '../shared/wire/network-version.ts';
export { MOTIVE } from '../shared/wire/rejection.ts';
export { emptyMetadataConfig, nodeMetadataConfig, type MetadataCodec, type MetadataConfig, type NodeMetadata } from '../shared/wire/metadata.ts';
