/**
 * Ack / Nack / Nack_v_0: the plaintext of encrypted chunk #1 in each direction (protocol.md §8.1).
 *
 * ```
 * 00                                         Ack
 * 01 ‖ i16 motive ‖ u32 byte length ‖ elts   Nack (at most 100 elements)
 * ff                                         Nack_v_0
 * elt = u32 n ‖ n bytes of "addr:port" text, with 4 + n ≤ 51
 * ```
 * Decoding follows Data_encoding's reader step by step so each malformed input gets the same
 * error the OCaml node would report.
 */
import { DecodingError, EncodingError } from '../errors.ts';
import { BinaryReader } from './binary-reader.ts';
import { formatPoint, parsePoint } from './point.ts';
import type { Point } from './point.ts';
import { isMotive } from './rejection.ts';
import type { Motive } from './rejection.ts';

export type AckMessage =
  | { kind: 'ack' }
  | { kind: 'nack'; motive: Motive; points: Point[] }
  | { kind: 'nack_v0' };

const ACK_TAG = 0x00;
const NACK_TAG = 0x01;
const NACK_V0_TAG = 0xff;
/** `list ~max_length:100` on the alternative points (protocol.md §8.1). */
export const NACK_MAX_POINTS = 100;
/** `check_size 51` on each element, its 4-byte length included (protocol.md §8.3). */
const POINT_ELEMENT_MAX_SIZE = 51;
/** So the text of one point is at most 47 bytes, enough for `[<39-char IPv6>]:65535`. */
const POINT_TEXT_MAX_LENGTH = POINT_ELEMENT_MAX_SIZE - 4;

/**
 * `feature_available Nack_with_list`: a Nack may carry a motive and points only when the **peer**
 * announced `p2p_version > 0`; otherwise `nack` sends Nack_v_0 (protocol.md §8.5).
 */
export function peerSupportsNackWithList(peerP2pVersion: number): boolean {
  return peerP2pVersion > 0;
}

/** The chunk #1 plaintext. EncodingError on a motive outside int16, > 100 points or a bad point. */
export function encodeAck(message: AckMessage): Buffer {
  switch (message.kind) {
    case 'ack':
      return Buffer.from([ACK_TAG]);
    case 'nack_v0':
      return Buffer.from([NACK_V0_TAG]);
    case 'nack':
      return encodeNack(message.motive, message.points);
  }
}

function encodeNack(motive: Motive, points: readonly Point[]): Buffer {
  if (!isMotive(motive)) throw new EncodingError(`nack motive ${motive} is not an int16`);
  // Data_encoding's writer raises List_invalid_length past max_length.
  if (points.length > NACK_MAX_POINTS) {
    throw new EncodingError(`nack carries ${points.length} points, at most ${NACK_MAX_POINTS} allowed`);
  }
  const texts = points.map(formatPoint);
  let listSize = 0;
  for (const text of texts) {
    // Point texts are ASCII, so the string length is the byte length.
    if (text.length > POINT_TEXT_MAX_LENGTH) {
      throw new EncodingError(`point text ${JSON.stringify(text)} is longer than ${POINT_TEXT_MAX_LENGTH} bytes`);
    }
    listSize += 4 + text.length;
  }
  const out = Buffer.allocUnsafe(1 + 2 + 4 + listSize);
  out[0] = NACK_TAG;
  let at = out.writeInt16BE(motive, 1);
  at = out.writeUInt32BE(listSize, at);
  for (const text of texts) {
    at = out.writeUInt32BE(text.length, at);
    at += out.write(text, at, 'latin1');
  }
  return out;
}

/** One `check_size 51 (conv to_string of_string_exn string)` element, read as Data_encoding does. */
function readPoint(list: BinaryReader, index: number): Point {
  const what = `nack point #${index}`;
  const length = list.uint30(`${what} length`);
  // Dynamic_size checks the remaining bytes before the size limit, so a length running past the
  // list is NOT_ENOUGH_DATA even when it also exceeds 47.
  if (list.remaining < length) {
    throw new DecodingError('NOT_ENOUGH_DATA', `${what}: ${length} bytes announced, ${list.remaining} left in the list`);
  }
  if (4 + length > POINT_ELEMENT_MAX_SIZE) {
    throw new DecodingError('SIZE_LIMIT_EXCEEDED', `${what}: ${4 + length} bytes, at most ${POINT_ELEMENT_MAX_SIZE}`);
  }
  return parsePoint(list.fixed(length, what).toString('latin1'));
}

/**
 * Exact-length decode of the chunk #1 plaintext (protocol.md §8.1): UNEXPECTED_TAG for a tag other than
 * 00/01/ff, LIST_TOO_LONG for more than 100 points, SIZE_LIMIT_EXCEEDED for an element over 51
 * bytes, USER_FUNCTION for a text that is not a point, NOT_ENOUGH_DATA/EXTRA_BYTES when the list
 * byte length does not match its elements or the plaintext its content.
 */
export function decodeAck(plain: Buffer): AckMessage {
  const reader = new BinaryReader(plain);
  const tag = reader.u8('ack tag');
  let message: AckMessage;
  switch (tag) {
    case ACK_TAG:
      message = { kind: 'ack' };
      break;
    case NACK_V0_TAG:
      message = { kind: 'nack_v0' };
      break;
    case NACK_TAG: {
      const motive = reader.i16('nack motive');
      const list = reader.lengthPrefixedReader('nack list');
      const points: Point[] = [];
      // Variable.list reads until its bytes are used up and fails as soon as a 101st element
      // would start, before reading it.
      while (list.remaining > 0) {
        if (points.length === NACK_MAX_POINTS) {
          throw new DecodingError('LIST_TOO_LONG', `nack list has more than ${NACK_MAX_POINTS} points`);
        }
        points.push(readPoint(list, points.length));
      }
      message = { kind: 'nack', motive, points };
      break;
    }
    default:
      throw new DecodingError('UNEXPECTED_TAG', `ack tag 0x${tag.toString(16).padStart(2, '0')}`);
  }
  reader.expectEnd('ack');
  return message;
}
