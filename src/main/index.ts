/**
 * p2p-socket: typed, authenticated, encrypted peer connections, wire-compatible with the
 * Tezos-family `P2p_socket` layer. Usage: README.md and the runnable files in examples/.
 */
// First: an unsupported Node fails here, before anything else loads (node-version.ts).
import './require-node-version.ts';

export { authenticate, type AuthenticateOptions } from './authenticate.ts';
export { Pool, type PoolEvents, type PoolOptions, type PoolStats } from './pool.ts';
export type { ShardStats } from './pool-engine.ts';
export type { AddressList, ListedEntry } from './address-list.ts';
export type { AdmissionRefusal } from './handshake-admission.ts';
export type { Greylisting, Refusal, RefusalOption } from './refusal.ts';
export type { BroadcastResult } from './broadcast-batch.ts';
export { defaultPolicy, type PolicyDecision, type PolicyHook, type PolicyView } from './accept-policy.ts';
export { connect, type ConnectOptions } from './connect.ts';
export { AuthenticatedConnection, type AcceptOptions } from './authenticated-connection.ts';
export { Connection, type AcceptedInfo, type CloseOptions, type CloseOutcome, type CloseReason, type ConnectionEvents, type Received, type EncodedMessage, type SessionEnd, type Stat } from './connection.ts';
export { statJson, type StatJson } from '../shared/session/stat-json.ts';
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
export { PendingMessageBudget, DEFAULT_MAX_PENDING_MESSAGE_BYTES } from '../shared/session/pending-message-budget.ts';
export { checkBinaryChunksSize, MAX_CHUNK_CONTENT, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE } from '../shared/session/chunk-layout.ts';
export * from '../shared/errors.ts';
export {
  generateKeyPair,
  identityFromJson,
  identityFromKeys,
  identityToJson,
  publicKeyOf,
  readIdentityFile,
  writeIdentityFile,
  type Identity,
  type IdentityCheckOptions,
  type IdentityJson,
  type KeyPair,
} from '../shared/identity.ts';
export { checkProofOfWork, makePowTarget } from '../shared/crypto/pow.ts';
export { peerIdOf } from '../shared/crypto/peer-id.ts';
export {
  announcedVersion,
  MAVRYK,
  MAVRYK_BASENET,
  MAVRYK_MAINNET,
  NODE_DISTRIBUTED_DB_VERSIONS,
  NODE_P2P_VERSIONS,
  nodeLocalVersions,
  SANDBOXED_MAVRYK,
  SANDBOXED_MAVRYK_MAINNET,
  selectVersion,
  type LocalVersions,
  type NetworkVersion,
  type VersionSelection,
} from '../shared/wire/network-version.ts';
export { MOTIVE, motiveName, parseMotive } from '../shared/wire/rejection.ts';
export { formatPoint, parsePoint, pointsEqual, type Point } from '../shared/wire/point.ts';
export {
  emptyMetadataCodec,
  emptyMetadataConfig,
  nodeMetadataCodec,
  nodeMetadataConfig,
  type MetadataCodec,
  type MetadataConfig,
  type NodeMetadata,
} from '../shared/wire/metadata.ts';
