/**
 * p2p-socket: typed, authenticated, encrypted peer connections, wire-compatible with the
 * Tezos-family `P2p_socket` layer.
 *
 * ```ts
 * const peer = await connect('127.0.0.1', 9732, { identity, announcedVersion, metadata });
 * const conn = await peer.accept({ codec: bytesCodec });
 * await conn.write(Buffer.from('hello'));
 * ```
 */
export { authenticate, type AuthenticateOptions } from './authenticate.ts';
export { Pool, type PoolOptions, type PoolStats } from './pool.ts';
export { defaultPolicy, type PolicyDecision, type PolicyHook } from './accept-policy.ts';
export { connect, type ConnectOptions } from './connect.ts';
export { AuthenticatedConnection, type AcceptOptions } from './authenticated-connection.ts';
export { Connection, type CloseOptions, type Received, type EncodedMessage, type Stat } from './connection.ts';
export { bytesCodec, msgpackCodec, type MessageCodec } from './codecs.ts';
export {
  DEFAULT_INCOMING_QUEUE_SIZE,
  DEFAULT_MAX_MESSAGE_SIZE,
  DEFAULT_OUTGOING_QUEUE_SIZE,
  DEFAULT_POW_DIFFICULTY,
} from './options.ts';
export { generateIdentity, type GenerateIdentityOptions, type GenerateIdentityResult } from './generate-identity.ts';

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
  type IdentityJson,
} from '../shared/identity.ts';
export { checkProofOfWork, makePowTarget } from '../shared/crypto/pow.ts';
export { peerIdOf } from '../shared/crypto/peer-id.ts';
export {
  announcedVersion,
  emptyMetadataCodec,
  emptyMetadataConfig,
  formatPoint,
  MAVRYK,
  MAVRYK_BASENET,
  MAVRYK_MAINNET,
  MOTIVE,
  motiveName,
  NODE_DISTRIBUTED_DB_VERSIONS,
  NODE_P2P_VERSIONS,
  nodeLocalVersions,
  nodeMetadataCodec,
  nodeMetadataConfig,
  parseMotive,
  parsePoint,
  pointsEqual,
  SANDBOXED_MAVRYK,
  SANDBOXED_MAVRYK_MAINNET,
  selectVersion,
  type LocalVersions,
  type MetadataCodec,
  type MetadataConfig,
  type NetworkVersion,
  type NodeMetadata,
  type Point,
  type VersionSelection,
} from '../shared/wire/index.ts';
