/**
 * A generator process of `p2p-socket load` (generator-protocol.ts): runs a TrafficGenerator on
 * its share of the connections and reports every second. It exits when told to stop, when the
 * parent goes away, and in any case after its lifetime (every loop bounded).
 */
import { performance } from 'node:perf_hooks';
import { identityFromJson } from '../../shared/identity.ts';
import { encodeHistogram } from './latency-histogram.ts';
import { sizePicker } from './message-sizes.ts';
import type { ChildMessage, ParentMessage } from './generator-protocol.ts';
import { copyCounters, newCounters } from './generator-counters.ts';
import { TrafficGenerator } from './traffic-generator.ts';

const lifetimeMs = Number(process.argv[2] ?? '0');
if (!(lifetimeMs > 0) || !process.send) {
  console.error('generator-process.ts is started by p2p-socket load (IPC, lifetime in ms)');
  process.exit(2);
}
setTimeout(() => {
  console.error(`load generator ${process.pid}: still running after ${lifetimeMs} ms, exiting`);
  process.exit(3);
}, lifetimeMs).unref();
process.on('disconnect', () => process.exit(4));
// A Ctrl-C (or `timeout`, `kill -- -PGID`) reaches the whole process group: the parent handles
// it and tells us to stop, so the run still ends with a summary. Should the parent die instead,
// 'disconnect' and the lifetime above still end this process.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(message, undefined, {}, () => resolve());
  });
}

let generator: TrafficGenerator | undefined;
let ticker: NodeJS.Timeout | undefined;
let windowStart = newCounters();
let windowOpened = 0;

function tick(): void {
  if (!generator) return;
  const { histogram, kinds, busy } = generator.takeInterval();
  void send({ kind: 'tick', counters: copyCounters(generator.counters), histogram: encodeHistogram(histogram), kinds: kinds.encode(), busy });
  histogram.destroy();
  kinds.destroy();
}

process.on('message', (message: ParentMessage) => {
  void handle(message).catch(async (error: unknown) => {
    await send({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  });
});

async function handle(message: ParentMessage): Promise<void> {
  switch (message.kind) {
    case 'start': {
      const identities = message.identities.map((json) => identityFromJson(json));
      generator = new TrafficGenerator(message.spec, identities, sizePicker(message.sizes));
      // 4 a second: the parent samples every second from counters at most 250 ms old.
      ticker = setInterval(tick, 250);
      await generator.start();
      await send({ kind: 'ramped' });
      return;
    }
    case 'measure':
      if (!generator) return;
      generator.measure();
      windowStart = copyCounters(generator.counters);
      windowOpened = performance.now();
      return;
    case 'stop': {
      if (!generator) process.exit(0);
      const windowEnd = copyCounters(generator.counters);
      const windowMs = windowOpened === 0 ? 0 : performance.now() - windowOpened;
      await generator.stop();
      clearInterval(ticker);
      tick();
      await send({ kind: 'result', counters: copyCounters(generator.counters), windowStart, windowEnd, windowMs, histogram: encodeHistogram(generator.windowHistogram()), kinds: generator.kindWindow.encode() });
      process.disconnect();
      setTimeout(() => process.exit(0), 200).unref();
      return;
    }
  }
}
