/**
 * `node bench/handshake-young-gen.ts`: what a burst of handshakes does to the server's young
 * generation, per thread (docs/architecture.md §4c).
 *
 *   node bench/handshake-young-gen.ts [--workers=0] [--connections=5000] [--in-flight=128]
 *     [--repeats=1] [--sample=FILE [--survivors]]
 *
 * A server Pool (the options of bench:load W4's server) accepts `--connections` idle connections
 * from a client child process (bench/probes/idle-clients.ts, `--in-flight` handshakes at a time,
 * as W4's 128) after 100 that warm up. Over the burst, each thread records its collections
 * (bench/probes/young-gen-probe.ts): bytes allocated in the young generation and bytes that
 * survived a scavenge, per handshake, and the new space's size at the end; plus the process RSS
 * growth per connection after full collections. V8 grows the semi-space when the survivors since
 * its last growth exceed its capacity, so `survived` per handshake is what the burst's RSS hangs
 * on. With `--repeats=N` the burst runs N times, each against a fresh server process.
 * `--sample=FILE` (inline only): a sampling heap profile of the burst that keeps collected objects
 * too, i.e. every allocation by site; the top sites are printed per handshake and the profile
 * written to FILE (open in Chrome DevTools). With `--survivors`, objects a scavenge collected are
 * left out: what remains is what survived one (the connections' own objects, and handshake state
 * that lived long enough to be copied or promoted).
 * Prints a table and a JSON line.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { startShardYoungGen, stopShardYoungGen } from './probes/memory-probe.ts';
import { startYoungGenWindow, type YoungGenWindow } from './probes/young-gen-probe.ts';
import { argValue, countArg, grouped, spread } from './common.ts';
import { startIdleServer } from './idle-server.ts';

const argv = process.argv.slice(2);
const WORKERS = countArg(argv, 'workers', 0);
const CONNECTIONS = countArg(argv, 'connections', 5000);
const IN_FLIGHT = countArg(argv, 'in-flight', 128);
const REPEATS = countArg(argv, 'repeats', 1);
const SAMPLE = argValue(argv, 'sample');
const SURVIVORS = argv.includes('--survivors');
const WARMUP = 100;

interface ThreadRow {
  readonly thread: string;
  readonly window: YoungGenWindow;
}

interface RunResult {
  readonly connections: number;
  readonly rssPerConn: number;
  readonly threads: ThreadRow[];
}

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

function topSites(head: ProfileNode, per: number): string[] {
  const bySite = new Map<string, number>();
  const walk = (node: ProfileNode): void => {
    const f = node.callFrame;
    const file = f.url.replace(/^.*\/(src|node_modules|bench|test)\//, '$1/').replace(/^node:/, '');
    const key = `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
    bySite.set(key, (bySite.get(key) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child);
  };
  walk(head);
  return [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 40).map(([key, size]) => `| ${key.replaceAll('|', '\\|')} | ${grouped(size / per)} |`);
}

async function serverRun(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  const idle = await startIdleServer({ workers: WORKERS, warmup: WARMUP, connections: CONNECTIONS, inFlight: IN_FLIGHT, handshakeTimeout: 30_000 });
  const opened = (): Promise<number> => idle.opened();
  const settle = async (): Promise<number> => {
    for (let i = 0; i < 4; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return process.memoryUsage().rss;
  };
  const warm = await opened();
  const rssBefore = await settle();
  let session: Session | undefined;
  if (SAMPLE) {
    session = new Session();
    session.connect();
    await session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !SURVIVORS });
  }
  if (WORKERS > 0) startShardYoungGen();
  const endMain = startYoungGenWindow();
  idle.next();
  const measured = (await opened()) - warm;
  const threads: ThreadRow[] = [{ thread: 'main', window: endMain() }];
  if (WORKERS > 0) for (const s of await stopShardYoungGen(WORKERS)) threads.push({ thread: `shard-${s.thread}`, window: s.window });
  if (session) {
    const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode } };
    writeFileSync(SAMPLE!, JSON.stringify(profile));
    console.log(`\nAllocation sites over the burst (sampled, ${SURVIVORS ? 'objects that survived a scavenge' : 'collected objects included'}), bytes per handshake, main thread:\n\n| site | B/hs |\n|:--|--:|\n${topSites(profile.head, measured).join('\n')}\n`);
    session.disconnect();
  }
  const rssAfter = await settle();
  process.send!({ connections: measured, rssPerConn: (rssAfter - rssBefore) / measured, threads } satisfies RunResult);
  await idle.close();
  process.exit(0);
}

async function main(): Promise<void> {
  const results: RunResult[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const child = spawn(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--role=server', ...argv], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const [result] = (await once(child, 'message')) as [RunResult];
    await once(child, 'exit');
    results.push(result);
    const line = result.threads.map((t) => `${t.thread} alloc ${grouped(t.window.allocated / result.connections)} surv ${grouped(t.window.survived / result.connections)} B/hs, new space ${grouped(t.window.newSpaceSize / 2 ** 20)} MiB`).join('; ');
    console.log(`  run ${r + 1}: RSS ${grouped(result.rssPerConn)} B/conn; ${line}`);
  }
  const per = (pick: (w: YoungGenWindow) => number, i: number): number => spread(results.map((r) => pick(r.threads[i]!.window) / (pick === sizeOf || pick === physicalOf ? 1 : r.connections))).median;
  const sizeOf = (w: YoungGenWindow): number => w.newSpaceSize;
  const physicalOf = (w: YoungGenWindow): number => w.newSpacePhysical;
  console.log(`\n## Young generation over a burst of ${grouped(CONNECTIONS)} handshakes (${IN_FLIGHT} in flight), ${WORKERS === 0 ? 'inline' : `${WORKERS} shards`}, median of ${REPEATS}\n`);
  console.log('| thread | allocated B/hs | survived B/hs | of which promoted | scavenges/1000 hs | new space MiB (capacity) | new space MiB (physical) |');
  console.log('|:--|--:|--:|--:|--:|--:|--:|');
  const rows = results[0]!.threads.map((t, i) => {
    const row = {
      thread: t.thread,
      allocated: Math.round(per((w) => w.allocated, i)),
      survived: Math.round(per((w) => w.survived, i)),
      promoted: Math.round(per((w) => w.promoted, i)),
      scavengesPer1000: Math.round(per((w) => w.scavenges * 1000, i)),
      newSpaceMiB: Math.round((per(sizeOf, i) / 2 ** 20) * 10) / 10,
      newSpacePhysicalMiB: Math.round((per(physicalOf, i) / 2 ** 20) * 10) / 10,
    };
    console.log(`| ${row.thread} | ${grouped(row.allocated)} | ${grouped(row.survived)} | ${grouped(row.promoted)} | ${row.scavengesPer1000} | ${row.newSpaceMiB} | ${row.newSpacePhysicalMiB} |`);
    return row;
  });
  const rss = spread(results.map((r) => r.rssPerConn));
  console.log(`\nprocess RSS growth after full GCs: ${grouped(rss.median)} B/conn (${grouped(rss.min)}–${grouped(rss.max)})`);
  console.log(JSON.stringify({ suite: 'handshake-young-gen', workers: WORKERS, connections: CONNECTIONS, in_flight: IN_FLIGHT, repeats: REPEATS, rss_per_conn: Math.round(rss.median), threads: rows }));
}

if (argValue(argv, 'role') === 'server') await serverRun();
else await main();
