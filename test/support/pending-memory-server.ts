/**
 * Child process for test/bounded-pending-memory.test.ts: a Pool (workers from argv) with a small
 * pending-message budget, echoing; it samples its own RSS so the parent's peers do not count.
 * IPC: sends { port } when listening; on 'baseline' restarts the RSS sampling; on 'report' sends
 * { baseline, peak, pendingPeak, stats } and exits.
 */
import { echo, makePool } from './pools.ts';

const workers = Number(process.argv[2] ?? 0);
const budget = Number(process.argv[3] ?? 4 * 1024 * 1024);
const server = makePool(workers, {
  maxPendingMessageBytes: budget,
  maxConnections: 100,
  allowDuplicatePeers: true,
  accept: { maxMessageSize: 64 * 1024 * 1024, messageTimeout: 10_000 },
});
echo(server);
const { port } = await server.listen();

let baseline = process.memoryUsage.rss();
let peak = baseline;
let pendingPeak = 0;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage.rss());
  pendingPeak = Math.max(pendingPeak, server.stats().pendingMessageBytes);
}, 20);

process.on('message', (message) => {
  if (message === 'baseline') {
    baseline = process.memoryUsage.rss();
    peak = baseline;
    pendingPeak = 0;
    process.send!('ready');
  } else if (message === 'report') {
    clearInterval(sampler);
    process.send!({ baseline, peak, pendingPeak, stats: server.stats() }, () => {
      void server.close().then(() => process.exit(0));
    });
  }
});
process.send!({ port });
