/**
 * The peer messages of Tezos-family nodes, each layout declared once (docs/messages.md): the five
 * `P2p_message` kinds (tags 0x01–0x05) and the shell's distributed-db messages (0x10–0x91), with
 * the bounds a node applies when it reads them. Octez's `P2p_message.encoding` and
 * `Distributed_db_message.encoding` declare the same layouts.
 */
import {
  checkSize,
  dynamic,
  hash,
  hashList,
  int,
  int64,
  lazy,
  list,
  obj,
  option,
  pointText,
  restBytes,
  tagged,
  union,
  type Infer,
  type Layout,
} from './layout.ts';

/** The whole message (`tag ‖ body`), as bounded by `check_size 100 MiB` around its u32 length. */
export const MAX_PEER_MESSAGE_SIZE = 100 * 1024 * 1024 - 4;
/** At most this many points in one Advertise. */
export const MAX_ADVERTISE_POINTS = 100;
/** Bytes of a point on the wire, its u32 length included: the text is at most 47 bytes. */
export const POINT_MAX_SIZE = 51;
/** At most this many hashes (or blocks) in one Get_block_headers, Get_operations, Get_protocols, Get_operations_for_blocks. */
export const MAX_REQUEST_LENGTH = 10;
/** Bytes of a block header, its fitness length prefixes included. */
export const BLOCK_HEADER_MAX_SIZE = 8 * 1024 * 1024;
/** History hashes of a block locator. */
export const MAX_LOCATOR_HISTORY = 1000;
/** Bytes of an operation (branch and data). */
export const OPERATION_MAX_SIZE = 128 * 1024;
/** Bytes of all the operations of one Operations_for_blocks, their u32 lengths included. */
export const OPERATION_LIST_MAX_SIZE = 1024 * 1024;
/** Bytes of an operation-list path: at most 3 levels (8 validation passes). */
export const OPERATION_PATH_MAX_SIZE = 100;
/** Bytes of a protocol. */
export const PROTOCOL_MAX_SIZE = 2 * 1024 * 1024;
/** Bytes of a mempool: `8 + 4000 × 32`, so at most 3,999 hashes once its three length prefixes are counted. */
export const MEMPOOL_MAX_SIZE = 8 + 4000 * 32;
/** Hashes that fit a mempool (known_valid and pending together). */
export const MAX_MEMPOOL_HASHES = 3999;
/** Newest protocol environment a Mavryk node knows (V12); current Octez knows up to V17. */
export const MAVRYK_MAX_ENVIRONMENT_VERSION = 12;
export const OCTEZ_MAX_ENVIRONMENT_VERSION = 17;

const chainId = hash('chainId');
const blockHash = hash('block');

/** `P2p_point.Id.encoding`: the point text, at most 51 bytes with its length. */
const point = checkSize(POINT_MAX_SIZE, dynamic(pointText));

/** The block header: the shell part, then protocol data up to the end of the enclosing bytes. */
const blockHeaderFields = obj({
  level: int('int32'),
  proto: int('uint8'),
  predecessor: blockHash,
  timestamp: int64,
  validationPass: int('uint8'),
  operationsHash: hash('operationListList'),
  fitness: dynamic(list(dynamic(restBytes))),
  context: hash('context'),
  protocolData: restBytes,
});
const blockHeader = checkSize(BLOCK_HEADER_MAX_SIZE, blockHeaderFields);

const blockLocator = obj({
  currentHead: dynamic(blockHeader),
  history: hashList('block', MAX_LOCATOR_HISTORY),
});

const mempool = checkSize(
  MEMPOOL_MAX_SIZE,
  obj({
    knownValid: dynamic(hashList('operation')),
    pending: dynamic(dynamic(hashList('operation'))),
  }),
);

const operationFields = obj({ branch: blockHash, data: restBytes });
const operation = checkSize(OPERATION_MAX_SIZE, operationFields);

/**
 * Where one operation list sits in the block's Merkle tree of lists: `Left` when ours is in the
 * left subtree (its right sibling follows), `Right` when it is in the right one, `Op` at the leaf.
 */
export type OperationListPath =
  | { kind: 'Left'; path: OperationListPath; right: Uint8Array }
  | { kind: 'Right'; left: Uint8Array; path: OperationListPath }
  | { kind: 'Op' };

const operationListHash = hash('operationList');
const pathLayout: Layout<OperationListPath> = union(1, {
  Left: tagged(0xf0, { path: lazy(() => pathLayout), right: operationListHash }),
  Right: tagged(0x0f, { left: operationListHash, path: lazy(() => pathLayout) }),
  Op: tagged(0x00, {}),
});

function protocolLayout(maxEnvironmentVersion: number) {
  return checkSize(
    PROTOCOL_MAX_SIZE,
    obj({
      expectedEnvVersion: int('uint16', { min: 0, max: maxEnvironmentVersion }),
      components: dynamic(
        list(
          obj({
            name: dynamic(restBytes),
            interface: option(dynamic(restBytes)),
            implementation: dynamic(restBytes),
          }),
        ),
      ),
    }),
  );
}

/**
 * The message union (`u16 tag ‖ body`) for a node that knows protocol environments up to
 * `maxEnvironmentVersion`. As a payload it is bounded by `payloadLayout`, in the stream by
 * `framedLayout`.
 */
export function peerMessageLayout(maxEnvironmentVersion: number) {
  return union(2, {
    Disconnect: tagged(0x01, {}),
    Bootstrap: tagged(0x02, {}),
    Advertise: tagged(0x03, { points: list(point, MAX_ADVERTISE_POINTS) }),
    Swap_request: tagged(0x04, { point, peerId: hash('peerId') }),
    Swap_ack: tagged(0x05, { point, peerId: hash('peerId') }),
    Get_current_branch: tagged(0x10, { chainId }),
    Current_branch: tagged(0x11, { chainId, locator: blockLocator }),
    Deactivate: tagged(0x12, { chainId }),
    Get_current_head: tagged(0x13, { chainId }),
    Current_head: tagged(0x14, { chainId, header: dynamic(blockHeader), mempool }),
    Get_block_headers: tagged(0x20, { blockHashes: dynamic(hashList('block', MAX_REQUEST_LENGTH)) }),
    Block_header: tagged(0x21, { header: blockHeader }),
    Get_operations: tagged(0x30, { operationHashes: dynamic(hashList('operation', MAX_REQUEST_LENGTH)) }),
    Operation: tagged(0x31, { operation }),
    Get_protocols: tagged(0x40, { protocolHashes: dynamic(hashList('protocol', MAX_REQUEST_LENGTH)) }),
    Protocol: tagged(0x41, { protocol: protocolLayout(maxEnvironmentVersion) }),
    Get_operations_for_blocks: tagged(0x60, {
      blocks: dynamic(list(obj({ hash: blockHash, validationPass: int('int8') }), MAX_REQUEST_LENGTH)),
    }),
    Operations_for_blocks: tagged(0x61, {
      hash: blockHash,
      validationPass: int('int8'),
      path: checkSize(OPERATION_PATH_MAX_SIZE, pathLayout),
      operations: checkSize(OPERATION_LIST_MAX_SIZE, list(dynamic(operation))),
    }),
    Get_checkpoint: tagged(0x70, { chainId }),
    Checkpoint: tagged(0x71, { chainId, header: blockHeader }),
    Get_protocol_branch: tagged(0x80, { chainId, protoLevel: int('uint8') }),
    Protocol_branch: tagged(0x81, { chainId, protoLevel: int('uint8'), locator: blockLocator }),
    Get_predecessor_header: tagged(0x90, { blockHash, offset: int('int32') }),
    Predecessor_header: tagged(0x91, { blockHash, offset: int('int32'), header: blockHeader }),
  });
}

/** A whole message without its length prefix (the body of a P2p_socket message). */
export function payloadLayout<T>(message: Layout<T>): Layout<T> {
  return checkSize(MAX_PEER_MESSAGE_SIZE, message);
}

/** A message as it sits in the decrypted stream: `check_size 100 MiB (dynamic_size message)`. */
export function framedLayout<T>(message: Layout<T>): Layout<T> {
  return checkSize(MAX_PEER_MESSAGE_SIZE + 4, dynamic(message));
}

/** A peer message: one case per kind, named as Octez names its constructors. */
export type PeerMessage = Infer<ReturnType<typeof peerMessageLayout>>;
/** The kinds of peer messages. */
export type PeerMessageKind = PeerMessage['kind'];
/** The message of one kind. */
export type PeerMessageOf<K extends PeerMessageKind> = Extract<PeerMessage, { kind: K }>;

export type BlockHeader = Infer<typeof blockHeaderFields>;
export type BlockLocator = Infer<typeof blockLocator>;
export type Mempool = Infer<typeof mempool>;
export type Operation = Infer<typeof operationFields>;
export type Protocol = Infer<ReturnType<typeof protocolLayout>>;

/** The layouts of the parts, for encoding them on their own (a block hash is Blake2b-256 of a header's encoding). */
export const partLayouts = { blockHeader, blockLocator, mempool, operation, point, path: pathLayout } as const;
