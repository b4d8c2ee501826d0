/**
 * Single-producer single-consumer ring of variable-size records on one SharedArrayBuffer
 * (architecture.md §3): per shard, one main→shard and one shard→main.
 *
 * A record is a 12-byte header { length u32, connection id u32, kind u16, reserved u16 } and the
 * payload, padded to 8 bytes (layout.ts). Records never straddle the end of the data area: when
 * the next one does not fit in the tail, the producer writes a padding marker there and starts
 * the record at position 0. Bytes are in the platform's byte order: both ends run in one process.
 *
 * Memory ordering: the producer writes header and payload with plain stores, then publishes the
 * write index with `Atomics.store`; the consumer reads the write index with `Atomics.load`
 * before touching the bytes. Sequentially consistent atomics synchronise, so everything written
 * before the store is visible after the load. The same holds in reverse for the read index: the
 * producer never touches bytes the consumer has not released.
 *
 * Wake-ups (the doorbell): the consumer, when it runs out of records, declares itself asleep
 * (`prepareToSleep`); the producer, after publishing, asks `needsWake()`, which claims that flag:
 * `true` once per sleep, and the caller then posts one wake-up message. The consumer keeps reading
 * while records keep coming and does not sleep, so one wake-up moves a whole burst of records.
 * The opposite direction (ring full) works the same way: `prepareToWaitForSpace` on the producer,
 * `needsSpaceSignal` on the consumer. signal.ts has the protocol and why no wake-up is lost.
 *
 * Neither class is thread-safe on its own side: one producer object in one thread, one consumer
 * object in one thread.
 *
 * This file is the ring's one import path: the buffer in ring-buffer.ts, its two ends in
 * ring-producer.ts and ring-consumer.ts.
 */
export { createRingBuffer } from './ring-buffer.ts';
export { RingProducer } from './ring-producer.ts';
export { RingConsumer, type RecordVisitor } from './ring-consumer.ts';
