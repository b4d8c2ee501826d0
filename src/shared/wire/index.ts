/**
 * Plaintext wire formats of the handshake (protocol.md §A, §1, §7, §8) and version selection (§11.2).
 */
export { BinaryReader, UINT30_READ_MAX } from './binary-reader.ts';

export {
  MAVRYK_MAINNET,
  SANDBOXED_MAVRYK_MAINNET,
  MAVRYK_BASENET,
  MAVRYK,
  SANDBOXED_MAVRYK,
  NODE_DISTRIBUTED_DB_VERSIONS,
  NODE_P2P_VERSIONS,
  DEFAULT_P2P_PORT,
  TEST_UTILS_NETWORK_VERSION,
  nodeLocalVersions,
  chainNameFromBytes,
  chainNameToBytes,
  networkVersionSize,
  writeNetworkVersion,
  encodeNetworkVersion,
  readNetworkVersion,
  decodeNetworkVersion,
  announcedVersion,
  selectVersion,
} from './network-version.ts';
export type { NetworkVersion, LocalVersions, VersionSelection } from './network-version.ts';

export {
  PUBLIC_KEY_SIZE,
  PROOF_OF_WORK_STAMP_SIZE,
  MESSAGE_NONCE_SIZE,
  CONNECTION_MESSAGE_PREFIX_SIZE,
  CONNECTION_MESSAGE_MIN_BODY,
  CONNECTION_MESSAGE_MAX_BODY,
  encodeConnectionMessage,
  decodeConnectionMessageBody,
  connectionMessageBodyLength,
} from './connection-message.ts';
export type { ConnectionMessage } from './connection-message.ts';

export { MOTIVE, MOTIVE_MIN, MOTIVE_MAX, isMotive, motiveName, parseMotive } from './rejection.ts';
export type { KnownMotive, Motive } from './rejection.ts';

export { canonicalHost, formatPoint, parsePoint, parsePointWithPeerId, pointsEqual } from './point.ts';
export type { Point, PointWithPeerId } from './point.ts';

export {
  ACK_TAG,
  NACK_TAG,
  NACK_V0_TAG,
  NACK_MAX_POINTS,
  POINT_ELEMENT_MAX_SIZE,
  POINT_TEXT_MAX_LENGTH,
  peerSupportsNackWithList,
  encodeAck,
  decodeAck,
} from './ack.ts';
export type { AckMessage } from './ack.ts';

export {
  NODE_METADATA_SIZE,
  nodeMetadataCodec,
  nodeMetadataConfig,
  emptyMetadataCodec,
  emptyMetadataConfig,
} from './metadata.ts';
export type { MetadataCodec, MetadataConfig, NodeMetadata } from './metadata.ts';
