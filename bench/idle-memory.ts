/**
 * `node bench/idle-memory.ts`: where the memory of an idle connection goes, per thread.
 *
 *   node bench/idle-memory.ts [--workers=0] [--connections=2000] [--reading] [--snapshots=DIR]
 *
 * A server Pool (inline with --workers=0, else sharded with shard workers that answer memory
 * probes, bench/probes/memory-probe-shard.ts) accepts `--connections` idle connections from a
 * client child process (bench/probes/idle-clients.ts), after 100 that warm up the code paths;
 * with --reading, a `read()` waits on every connection, as in bench:load W4's server.
 * Before and after, every thread runs full collections and reports its JS heap, `external` and
 * ArrayBuffer bytes; the table gives the growth per connection in each thread (the last column,
 * live objects + ArrayBuffers, is test/idle-connection-memory.test.ts's measure: heap used also
 * counts compiled code, which comes and goes with V8's tiers and flushing), and the process's
 * RSS growth per connection (what bench:load W4 reports, which also holds native memory: the
 * socket handles, the allocator's retention, the heap's unused space). With --snapshots, each
 * thread also writes a heap snapshot before and after, and the growth of self size per connection
 * is listed by constructor (the largest 25 per thread). Prints a table and a JSON line.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mainMemory, retainedBytes, shardMemory, type ThreadMemory } from './probes/memory-probe.ts';
import { startIdleServer } from './idle-server.ts';
import { argValue, countArg, grouped } from './common.ts';

const argv = process.argv.slice(2);
const WORKERS = countArg(argv, 'workers', 0);
const CONNECTIONS = countArg(argv, 'connections', 2000);
const SNAPSHOTS = argValue(argv, 'snapshots');
const READING = argv.includes('--reading');
const TOP = 25;

interface Probe {
  readonly rss: number;
  readonly threads: ThreadMemory[];
}

async function probe(label: string | undefined): Promise<Probe> {
  const prefix = SNAPSHOTS && label && join(SNAPSHOTS, label);
  const main = await mainMemory(prefix);
  const shards = WORKERS > 0 ? await shardMemory(WORKERS, { snapshotPrefix: prefix }) : [];
  return { rss: process.memoryUsage().rss, threads: [main, ...shards] };
}

/** Self size and count by constructor (objects, closures) or node type (arrays, strings, code …). */
function snapshotSummary(file: string): Map<string, { size: number; count: number }> {
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
    strings: string[];
  };
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const out = new Map<string, { size: number; count: number }>();
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = types[snapshot.nodes[i + typeAt]!]!;
    const name = snapshot.strings[snapshot.nodes[i + nameAt]!]!;
    const key = type === 'object' ? name : type === 'closure' ? `closure ${name || '(anonymous)'}` : type === 'native' ? `native ${name.replace(/ \/ .*$/, '')}` : `(${type})`;
    const entry = out.get(key) ?? { size: 0, count: 0 };
    entry.size += snapshot.nodes[i + sizeAt]!;
    entry.count++;
    out.set(key, entry);
  }
  return out;
}

const log = (line = ''): void => console.log(line);

if (SNAPSHOTS) mkdirSync(SNAPSHOTS, { recursive: true });
// A first batch warms up what every connection path loads once (code, lazily loaded modules),
// so the growth measured is what the second batch keeps.
const WARMUP = Math.min(100, CONNECTIONS);
const idle = await startIdleServer({ workers: WORKERS, warmup: WARMUP, connections: CONNECTIONS, settleMs: 500, reading: READING });
const opened = (): Promise<number> => idle.opened();
const warm = await opened();
await probe(undefined); // the probe's own first use loads modules: not in the baseline
const before = await probe('before');
idle.next();
const measured = (await opened()) - warm;
const after = await probe('after');

const perConn = (a: number, b: number): number => (b - a) / measured;
log(`## Idle connection memory: ${grouped(measured)} connections (after ${warm} to warm up), ${WORKERS === 0 ? 'inline' : `${WORKERS} shards`}`);
log();
log('| thread | JS heap used B/conn | heap committed B/conn | ArrayBuffers B/conn | external (other) B/conn | heap used + ArrayBuffers B/conn | live objects + ArrayBuffers B/conn |');
log('|:--|--:|--:|--:|--:|--:|--:|');
const rows = after.threads.map((t, i) => {
  const b = before.threads[i]!;
  const heap = perConn(b.heapUsed, t.heapUsed);
  const committed = perConn(b.heapTotal, t.heapTotal);
  const buffers = perConn(b.arrayBuffers, t.arrayBuffers);
  const other = perConn(b.external - b.arrayBuffers, t.external - t.arrayBuffers);
  const live = perConn(retainedBytes(b), retainedBytes(t));
  log(`| ${t.thread === 0 ? 'main' : `shard (thread ${t.thread})`} | ${grouped(heap)} | ${grouped(committed)} | ${grouped(buffers)} | ${grouped(other)} | ${grouped(heap + buffers)} | ${grouped(live)} |`);
  return { thread: t.thread === 0 ? 'main' : `shard-${t.thread}`, heap: Math.round(heap), heapCommitted: Math.round(committed), arrayBuffers: Math.round(buffers), external: Math.round(other), live: Math.round(live) };
});
const rss = perConn(before.rss, after.rss);
log();
log('Physical size of each V8 heap space, growth per connection:');
log();
const spaceNames = Object.keys(after.threads[0]!.spaces);
log(`| thread | ${spaceNames.join(' | ')} |`);
log(`|:--|${spaceNames.map(() => '--:').join('|')}|`);
after.threads.forEach((t, i) => {
  const b = before.threads[i]!;
  log(`| ${rows[i]!.thread} | ${spaceNames.map((name) => grouped(perConn(b.spaces[name] ?? 0, t.spaces[name] ?? 0))).join(' | ')} |`);
});
log(`| **process RSS** | | | | | **${grouped(rss)}** |`);
if (SNAPSHOTS) {
  for (let i = 0; i < after.threads.length; i++) {
    const b = snapshotSummary(before.threads[i]!.snapshot!);
    const a = snapshotSummary(after.threads[i]!.snapshot!);
    const growth = [...a].map(([key, { size, count }]) => ({ key, size: size - (b.get(key)?.size ?? 0), count: count - (b.get(key)?.count ?? 0) }));
    growth.sort((x, y) => y.size - x.size);
    log();
    log(`### ${rows[i]!.thread}: self size growth by constructor, per connection`);
    log();
    log('| constructor | bytes/conn | objects/conn |');
    log('|:--|--:|--:|');
    for (const g of growth.slice(0, TOP)) log(`| ${g.key.replaceAll('|', '\\|')} | ${(g.size / measured).toFixed(0)} | ${(g.count / measured).toFixed(2)} |`);
  }
}
console.log(JSON.stringify({ suite: 'idle-memory', workers: WORKERS, connections: measured, warmup: warm, rss_per_conn: Math.round(rss), threads: rows }));
await idle.close();
process.exit(0);
