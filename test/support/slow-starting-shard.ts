/**
 * A shard worker that takes two seconds to start, as on a loaded machine: the real shard
 * (src/worker/shard.ts) loaded after a pause. Used through the pool's shard-script seam.
 */
import { setTimeout as sleep } from 'node:timers/promises';

await sleep(2000);
await import(new URL('../../src/worker/shard.ts', import.meta.url).href);
