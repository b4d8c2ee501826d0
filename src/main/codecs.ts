/**
 * Message codecs: how typed messages become the body of a Tezos-framed message (architecture.md §6).
 * The framing (`u32 BE length ‖ body`, protocol.md §9.1) is added by the connection, so a codec only
 * maps a value to its body and back: with the bytes codec, a message is exactly OCaml's
 * `Data_encoding.bytes`; a node's `P2p_message` codec maps to `u16 tag ‖ payload`.
 */
import { createRequire } from 'node:module';
import type { Options as PackrOptions, Packr } from 'msgpackr';
import { EncodingError } from '../shared/errors.ts';
import { describeValue } from './describe-value.ts';

/** msgpackr, loaded by the first `msgpackCodec()` rather than with the library. */
const requireFromHere = createRequire(import.meta.url);

export interface MessageCodec<Msg> {
  /** The message body. Throwing gives ENCODING_ERROR. */
  encode(message: Msg): Uint8Array;
  /** Decodes a whole body (exact length). Throwing gives DECODING_ERROR. */
  decode(body: Buffer): Msg;
}

/** Raw byte payloads: the body is the message, which must be a Buffer or Uint8Array. */
export const bytesCodec: MessageCodec<Uint8Array> = {
  encode: (message) => {
    if (message instanceof Uint8Array) return message;
    throw new EncodingError(`message must be a Buffer or Uint8Array (the bytes codec), got ${describeValue(message)}`);
  },
  decode: (body) => body,
};

/** Any structured-clone-like JS value, with msgpackr (loaded by the first call). */
export function msgpackCodec<Msg = unknown>(options: PackrOptions = {}): MessageCodec<Msg> {
  const { Packr: PackrClass } = requireFromHere('msgpackr') as { Packr: new (options: PackrOptions) => Packr };
  const packr = new PackrClass({ useRecords: false, ...options });
  return {
    encode: (message) => packr.pack(message),
    decode: (body) => packr.unpack(body) as Msg,
  };
}
