/**
 * A shard worker whose MESSAGE_TRANSFERRED records name an offset one byte off the body's (as a
 * bug in the shard's record writing would): the real shard (src/worker/shard.ts) with its outbox's
 * `send` wrapped. Used through the pool's shard-script seam to check what main does with a record
 * that does not match its transferred buffer.
 */
import { Outbox } from '../../src/shared/shard/outbox.ts';
import { RECORD, decodeTransferred, encodeTransferred } from '../../src/shared/shard/records.ts';

const send = Outbox.prototype.send;
Outbox.prototype.send = function (this: Outbox, id: number, kind: number, payload?: Uint8Array): void {
  if (kind === RECORD.MESSAGE_TRANSFERRED && payload) {
    const { length, offset } = decodeTransferred(payload);
    payload = encodeTransferred(length, offset === 0 ? 1 : offset - 1);
  }
  send.call(this, id, kind, payload);
};
await import(new URL("../../src/worker/shard.ts", import.meta.url).href);
