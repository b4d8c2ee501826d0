/**
 * The hashes and ids peer messages carry, as raw bytes, and their base58check text forms
 * (docs/messages.md, "Hashes"; the prefixes are Octez's `base58.ml`).
 */
import { base58CheckDecode, base58CheckEncode } from '../shared/crypto/base58check.ts';

/** What a hash names; it fixes the byte length and the base58check prefix. */
export type HashKind =
  | 'block'
  | 'operation'
  | 'operationList'
  | 'operationListList'
  | 'protocol'
  | 'context'
  | 'chainId'
  | 'peerId';

interface HashForm {
  readonly size: number;
  readonly prefix: Uint8Array;
  /** How the text starts, for messages. */
  readonly start: string;
}

const FORMS: Readonly<Record<HashKind, HashForm>> = {
  block: { size: 32, prefix: Uint8Array.of(0x01, 0x34), start: 'B' },
  operation: { size: 32, prefix: Uint8Array.of(0x05, 0x74), start: 'o' },
  operationList: { size: 32, prefix: Uint8Array.of(0x85, 0xe9), start: 'Lo' },
  operationListList: { size: 32, prefix: Uint8Array.of(0x1d, 0x9f, 0x6d), start: 'LLo' },
  protocol: { size: 32, prefix: Uint8Array.of(0x02, 0xaa), start: 'P' },
  context: { size: 32, prefix: Uint8Array.of(0x4f, 0xc7), start: 'Co' },
  chainId: { size: 4, prefix: Uint8Array.of(0x57, 0x52, 0x00), start: 'Net' },
  peerId: { size: 16, prefix: Uint8Array.of(0x99, 0x67), start: 'id' },
};

/** Byte length of a hash of this kind: 32, or 4 for a chain id, 16 for a peer id. */
export function hashSize(kind: HashKind): number {
  return FORMS[kind].size;
}

/** The base58check text (`B…`, `o…`, `Lo…`, `LLo…`, `P…`, `Co…`, `Net…`, `id…`). Throws RangeError on a wrong length. */
export function hashToBase58(kind: HashKind, bytes: Uint8Array): string {
  const form = FORMS[kind];
  if (bytes.length !== form.size) throw new RangeError(`a ${kind} hash has ${form.size} bytes, not ${bytes.length}`);
  return base58CheckEncode(form.prefix, bytes);
}

/** The bytes of a base58check text of this kind. Throws DecodingError (USER_FUNCTION) on anything else. */
export function hashFromBase58(kind: HashKind, text: string): Uint8Array {
  const form = FORMS[kind];
  const bytes = base58CheckDecode(form.prefix, text, form.size);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}
