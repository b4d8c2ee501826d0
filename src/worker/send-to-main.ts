/**
 * One received message from a shard to main (architecture.md §3): a large body as a transferred
 * ArrayBuffer (the framer's own buffer when it assembled the body, else one copy into a fresh
 * one; never a pooled Buffer) with a ring record that keeps its place; a small one as ring records.
 */
import { bodyPool } from '../shared/session/body-pool.ts';
import type { FramedMessage } from '../shared/session/message-framer.ts';
import { TRANSFER_THRESHOLD } from '../shared/shard/protocol.ts';
import { RECORD, encodeTransferred, sendBody } from '../shared/shard/records.ts';
import type { ShardContext } from './shard-context.ts';

export function sendToMain(context: ShardContext, id: number, message: FramedMessage): void {
  const { body } = message;
  if (body.length < TRANSFER_THRESHOLD) {
    if (!context.batchBody(id, body, 0, body.length)) sendBody(context.send, id, body, context.maxPayload());
    return;
  }
  let buffer: ArrayBuffer;
  let offset = 0;
  if (message.owned && body.buffer instanceof ArrayBuffer) {
    buffer = body.buffer;
    offset = body.byteOffset; // after the prefix when the body was opened straight into its buffer
  } else {
    // Memory main gave back from a released lent body when there is some of this size (body-pool.ts).
    const copy = bodyPool.take(body.length);
    copy.set(body);
    buffer = copy.buffer as ArrayBuffer;
  }
  const record = encodeTransferred(body.length, offset); // before the transfer detaches `body`
  context.transfer(id, buffer);
  context.send(id, RECORD.MESSAGE_TRANSFERRED, record);
}
