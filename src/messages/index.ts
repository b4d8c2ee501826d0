/**
 * p2p-socket/messages: the peer messages Tezos-family nodes exchange after the handshake, their
 * codec and the base58check forms of their hashes (docs/messages.md). The core `p2p-socket`
 * entry does not load this module.
 */
export {
  createPeerMessageCodec,
  peerMessageCodec,
  type PeerMessageCodec,
  type PeerMessageCodecOptions,
} from './peer-message-codec.ts';
export {
  BLOCK_HEADER_MAX_SIZE,
  MAVRYK_MAX_ENVIRONMENT_VERSION,
  MAX_ADVERTISE_POINTS,
  MAX_LOCATOR_HISTORY,
  MAX_MEMPOOL_HASHES,
  MAX_PEER_MESSAGE_SIZE,
  MAX_REQUEST_LENGTH,
  MEMPOOL_MAX_SIZE,
  OCTEZ_MAX_ENVIRONMENT_VERSION,
  OPERATION_LIST_MAX_SIZE,
  OPERATION_MAX_SIZE,
  OPERATION_PATH_MAX_SIZE,
  POINT_MAX_SIZE,
  PROTOCOL_MAX_SIZE,
  partLayouts,
  peerMessageLayout,
  type BlockHeader,
  type BlockLocator,
  type Mempool,
  type Operation,
  type OperationListPath,
  type PeerMessage,
  type PeerMessageKind,
  type PeerMessageOf,
  type Protocol,
} from './peer-message.ts';
export { HashList } from './hash-list.ts';
export { hashFromBase58, hashSize, hashToBase58, type HashKind } from './hashes.ts';
export type { AnyLayout, Infer, Json, Layout, Shape } from './layout.ts';
export { DecodingError, EncodingError } from '../shared/errors.ts';
