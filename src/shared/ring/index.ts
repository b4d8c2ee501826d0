/**
 * SharedArrayBuffer record rings between the main thread and a shard (architecture.md §3).
 */
export { createRingBuffer, RingConsumer, RingProducer, type RecordVisitor } from './record-ring.ts';
export { ConsumerPump, type ConsumerPumpOptions } from './pump.ts';
export { SignalFlag, type WaitResult } from './signal.ts';
export { MAX_CAPACITY, MIN_CAPACITY, maxPayloadFor, recordBytes, ringByteLength } from './layout.ts';
