/**
 * Connection metadata: the plaintext of encrypted chunk #0 in each direction (protocol.md §7).
 *
 * The socket layer is generic over the metadata type (`P2p_params.conn_meta_config`, protocol.md §7.1):
 * the value is encoded into exactly one chunk and the peer's chunk must decode with exact length.
 * There is no negotiation, so both peers must use the same codec.
 */
import { EncodingError } from '../errors.ts';
import { BinaryReader } from './binary-reader.ts';

export interface MetadataCodec<Meta> {
  /** Throws EncodingError if the value cannot be encoded. */
  encode(meta: Meta): Buffer;
  /** Exact-length decode of a chunk plaintext; throws DecodingError (protocol.md §7.1). */
  decode(bytes: Buffer): Meta;
}

export interface MetadataConfig<Meta> {
  codec: MetadataCodec<Meta>;
  /** What we send as chunk #0. */
  value: Meta;
  /** Extracts `info.private_node` from the peer's metadata (protocol.md §7.1). */
  privateNode(meta: Meta): boolean;
}

/** The Mavkit/Octez node's `Connection_metadata` (protocol.md §7.2). */
export interface NodeMetadata {
  disableMempool: boolean;
  privateNode: boolean;
}


const TRUE_BYTE = 0xff;
const FALSE_BYTE = 0x00;

/**
 * `obj2 (req "disable_mempool" bool) (req "private_node" bool)`: exactly 2 bytes. The writer
 * emits 0x00/0xff; the reader takes any non-zero byte as true (protocol.md §A, §7.2).
 */
export const nodeMetadataCodec: MetadataCodec<NodeMetadata> = Object.freeze({
  encode(meta: NodeMetadata): Buffer {
    if (typeof meta.disableMempool !== 'boolean' || typeof meta.privateNode !== 'boolean') {
      throw new EncodingError('node metadata fields must be booleans');
    }
    return Buffer.from([meta.disableMempool ? TRUE_BYTE : FALSE_BYTE, meta.privateNode ? TRUE_BYTE : FALSE_BYTE]);
  },
  decode(bytes: Buffer): NodeMetadata {
    const reader = new BinaryReader(bytes);
    const disableMempool = reader.bool('disable_mempool');
    const privateNode = reader.bool('private_node');
    reader.expectEnd('node metadata');
    return { disableMempool, privateNode };
  },
});

/** The node's metadata config: sends `meta`, and a peer is private when it says so (protocol.md §7.2). */
export function nodeMetadataConfig(meta: NodeMetadata): MetadataConfig<NodeMetadata> {
  return { codec: nodeMetadataCodec, value: meta, privateNode: (m) => m.privateNode };
}

const EMPTY = Buffer.alloc(0);

/**
 * `Data_encoding.empty`, as the OCaml test utilities use: a 0-byte plaintext, so the metadata
 * chunk is only its length header and tag (protocol.md §7.2, §13). Any byte is EXTRA_BYTES.
 */
export const emptyMetadataCodec: MetadataCodec<undefined> = Object.freeze({
  encode(_meta: undefined): Buffer {
    return EMPTY;
  },
  decode(bytes: Buffer): undefined {
    new BinaryReader(bytes).expectEnd('empty metadata');
    return undefined;
  },
});

/** Empty metadata; the peer is never private (nothing says so). */
export const emptyMetadataConfig: MetadataConfig<undefined> = Object.freeze({
  codec: emptyMetadataCodec,
  value: undefined,
  privateNode: () => false,
});
