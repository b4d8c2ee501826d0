/**
 * p2p-socket/wire: the protocol's building blocks below a connection, for tools that speak to
 * nodes or inspect what they send: network versions and their negotiation, metadata codecs,
 * points, Nack motives, proof-of-work targets, keys and peer ids, chunk bounds, the JSON forms
 * of stats and errors. A server built on `p2p-socket` needs none of them.
 */
export {
  announcedVersion,
  NODE_DISTRIBUTED_DB_VERSIONS,
  NODE_P2P_VERSIONS,
  nodeLocalVersions,
  selectVersion,
  type LocalVersions,
  type VersionSelection,
} from '../shared/wire/network-version.ts';
export { motiveName, parseMotive } from '../shared/wire/rejection.ts';
export { formatPoint, parsePoint, pointsEqual, type Point } from '../shared/wire/point.ts';
export { emptyMetadataCodec, nodeMetadataCodec, type MetadataCodec } from '../shared/wire/metadata.ts';
export { checkProofOfWork, makePowTarget } from '../shared/crypto/pow.ts';
export { peerIdOf } from '../shared/crypto/peer-id.ts';
export { generateKeyPair, publicKeyOf, type KeyPair } from '../shared/identity.ts';
export { checkBinaryChunksSize, MAX_CHUNK_CONTENT, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE } from '../shared/session/chunk-layout.ts';
export { statJson, type StatJson } from '../shared/session/stat-json.ts';
export { errorFromRecord, type ErrorRecord } from '../shared/errors.ts';
