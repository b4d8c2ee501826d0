/**
 * `p2p-socket crawl` end to end: a loopback network of 20 node-like peers (pools serving the
 * node responder, as `listen --node` does; most inline, three on shard threads, so both pool
 * modes answer the crawler), each advertising a few others and, here and there, a peer that
 * nacks, one that stalls and one that sends garbage after its handshake. The crawler runs as the
 * CLI, from one seed, with `--only 127.0.0.0/8`. Everything on 127.0.0.1 (an advertised `[::1]`
 * point, loopback too, stands for an address outside the range); every child is killed after its
 * time limit.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authenticate } from '../src/main/authenticate.ts';
import { bytesCodec } from '../src/main/codecs.ts';
import { CRAWL_SUMMARY_KEYS } from '../src/cli/crawl/crawl-summary.ts';
import { hashToBase58 } from '../src/messages/hashes.ts';
import { blockHashOf, SyntheticChain } from '../src/node/synthetic-chain.ts';
import { MOTIVE } from '../src/shared/wire/rejection.ts';
import { nodeMetadataConfig } from '../src/shared/wire/metadata.ts';
import { announcedVersion, nodeLocalVersions, SANDBOXED_MAVRYK } from '../src/shared/wire/network-version.ts';
import { startCli, type Json } from './helpers/cli-process.ts';
import { freshIdentity, startNodePool, type NodePool } from './support/node-peers.ts';

const PEERS = 20;
/** Peers on shard threads (workers: 1); the others are inline pools. */
const SHARDED = new Set([5, 11, 17]);
const CRAWL_TIMEOUT_MS = 30_000;

let dir = '';
const pools: NodePool[] = [];
const chains: SyntheticChain[] = [];
const servers: Server[] = [];
const sockets = new Set<Socket>();
/** What each peer advertises, filled once every port is known. */
const advertised: string[][] = [];
const odd = { nack: 0, stall: 0, garbage: 0 };

/** A server whose every connection is handled by `serve` (its sockets are destroyed at the end). */
async function rawServer(serve: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    serve(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

/** Authenticates as a node would, then hands the connection to `then`. */
function handshake(socket: Socket) {
  return authenticate(socket, {
    identity: freshIdentity(),
    incoming: true,
    announcedVersion: announcedVersion(nodeLocalVersions(SANDBOXED_MAVRYK)),
    metadata: nodeMetadataConfig({ disableMempool: false, privateNode: false }),
    proofOfWorkDifficulty: 0,
    timeout: 10_000,
  });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'p2p-socket-crawl-'));
  // A peer that nacks every dial (TOO_MANY_CONNECTIONS, as a full node does).
  odd.nack = await rawServer((socket) => {
    void handshake(socket).then((peer) => peer.nack(MOTIVE.TOO_MANY_CONNECTIONS, [])).catch(() => undefined);
  });
  // A peer that accepts the TCP connection and never says a word.
  odd.stall = await rawServer(() => undefined);
  // A peer whose handshake is fine, then sends a message with tag 0x0006, which no node knows.
  odd.garbage = await rawServer((socket) => {
    void handshake(socket)
      .then((peer) => peer.accept({ codec: bytesCodec, timeout: 10_000 }))
      .then((conn) => conn.write(Buffer.from([0x00, 0x06, 0xde, 0xad])))
      .catch(() => undefined);
  });
  for (let i = 0; i < PEERS; i++) {
    const chain = new SyntheticChain({ headLevel: 100 + i });
    chains.push(chain);
    advertised.push([]);
    pools.push(await startNodePool(SHARDED.has(i) ? 1 : 0, chain, () => advertised[i]!));
  }
  // A ring, each peer also pointing 7 ahead, so that the walk needs several hops from peer 0.
  for (let i = 0; i < PEERS; i++) {
    advertised[i]!.push(`127.0.0.1:${pools[(i + 1) % PEERS]!.port}`, `127.0.0.1:${pools[(i + 7) % PEERS]!.port}`);
  }
  advertised[3]!.push(`127.0.0.1:${odd.nack}`);
  advertised[8]!.push(`127.0.0.1:${odd.stall}`);
  advertised[13]!.push(`127.0.0.1:${odd.garbage}`, `[::1]:${pools[0]!.port}`);
});

after(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all([...pools.map((p) => p.close()), ...servers.map((s) => new Promise((resolve) => s.close(resolve)))]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('crawl from one seed finds all 20 peers with their heads; the nacking, stalling and garbage peers are reported as such', async () => {
  const report = join(dir, 'crawl.html');
  const run = await startCli(
    // Limits well above what a loaded machine needs: a probe ends as soon as its answers are in,
    // so only the stalling peer waits for --timeout.
    ['crawl', `127.0.0.1:${pools[0]!.port}`, '--only', '127.0.0.0/8', '--timeout', '6000', '--wait', '10000', '--concurrency', '8', '--json', '--report', report],
    CRAWL_TIMEOUT_MS,
  ).done;
  assert.equal(run.code, 0, run.stderr);
  const s = run.summary;
  assert.deepEqual(Object.keys(s).sort(), ['event', 'command', 'error', ...CRAWL_SUMMARY_KEYS].sort());
  assert.equal(s['command'], 'crawl');
  assert.equal(s['ok'], true);
  assert.equal(s['stopped_by'], 'done');
  const byPoint = new Map<string, Json>(s['peers'].map((p: Json) => [p['point'], p]));
  // The 20 node-like peers: each with its own head, as its chain holds it.
  for (let i = 0; i < PEERS; i++) {
    const peer = byPoint.get(`127.0.0.1:${pools[i]!.port}`);
    assert.ok(peer, `peer ${i} not crawled: ${JSON.stringify(s['peers'].map((p: Json) => [p['point'], p['failure']?.['kind'], p['advertised'].length]))}`);
    assert.equal(peer['ok'], true, JSON.stringify(peer));
    assert.match(peer['peer_id'], /^id[1-9A-HJ-NP-Za-km-z]{28}$/);
    assert.deepEqual(peer['announced_version'], { chain_name: SANDBOXED_MAVRYK, distributed_db_version: 2, p2p_version: 1 });
    assert.deepEqual(peer['metadata'], { disable_mempool: false, private_node: false });
    assert.equal(peer['chain_id'], hashToBase58('chainId', chains[i]!.chainId));
    const head = chains[i]!.head();
    assert.equal(peer['head']?.['level'], 100 + i);
    assert.equal(peer['head']?.['hash'], hashToBase58('block', blockHashOf(head.header)));
    assert.deepEqual([...peer['advertised']].sort(), [...advertised[i]!].sort());
    assert.ok(peer['handshake_ms'] > 0);
    assert.equal(peer['failure'], null);
  }
  assert.ok(s['max_depth'] >= 2, `max depth ${s['max_depth']}: the ring needs several hops`);
  // The odd ones, each failing its own way, none stopping the crawl.
  const failure = (port: number): Json => byPoint.get(`127.0.0.1:${port}`)?.['failure'];
  assert.deepEqual([failure(odd.nack)?.['kind'], failure(odd.nack)?.['motive_name']], ['nack', 'Too_many_connections']);
  assert.equal(failure(odd.stall)?.['kind'], 'timeout');
  assert.deepEqual([failure(odd.garbage)?.['kind'], failure(odd.garbage)?.['code']], ['garbage', 'DECODING_ERROR']);
  assert.equal(s['dialled'], PEERS + 3);
  assert.equal(s['answered'], PEERS + 2); // the nacking and garbage peers finished their handshakes
  assert.equal(s['with_head'], PEERS);
  assert.deepEqual(s['failures'], { garbage: 1, nack: 1, timeout: 1 });
  // The IPv6 point is outside --only: listed, not dialled.
  assert.deepEqual(s['not_dialled'].map((n: Json) => [n['point'], n['reason']]), [[`[::1]:${pools[0]!.port}`, 'filtered']]);
  // The report: the graph has a node per point and an edge per advertisement between them.
  const html = await readFile(report, 'utf8');
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/i);
  assert.equal(html.match(/<g class="node"/g)?.length, PEERS + 4);
  assert.equal(html.match(/<line /g)?.length, PEERS * 2 + 4);
  assert.equal(html.match(/data-status="head"/g)?.length, PEERS);
  for (const status of ['nack', 'timeout', 'garbage', 'not_dialled']) assert.equal(html.match(new RegExp(`data-status="${status}"`, 'g'))?.length, 1, status);
});

test('crawl --max-peers and --depth bound the walk; a seed nobody listens on is refused; a bad --only or report path is a usage error', async () => {
  const bounded = await startCli(['crawl', `127.0.0.1:${pools[0]!.port}`, '--max-peers', '4', '--json'], CRAWL_TIMEOUT_MS).done;
  assert.equal(bounded.code, 0, bounded.stderr);
  assert.equal(bounded.summary['dialled'], 4);
  assert.equal(bounded.summary['stopped_by'], 'max_peers');
  assert.ok(bounded.summary['not_dialled'].some((n: Json) => n['reason'] === 'max_peers'));

  const seedsOnly = await startCli(['crawl', `127.0.0.1:${pools[0]!.port}`, '--depth', '0', '--json'], CRAWL_TIMEOUT_MS).done;
  assert.equal(seedsOnly.summary['dialled'], 1);
  assert.deepEqual(new Set(seedsOnly.summary['not_dialled'].map((n: Json) => n['reason'])), new Set(['too_deep']));

  // Nothing listens on the stalling server's port once it is closed: use a port just freed.
  const freed = await rawServer(() => undefined);
  await new Promise((resolve) => servers.pop()!.close(resolve));
  const refused = await startCli(['crawl', `127.0.0.1:${freed}`, '--json'], CRAWL_TIMEOUT_MS).done;
  assert.equal(refused.code, 1);
  assert.equal(refused.summary['peers'][0]['failure']['kind'], 'refused');

  const badRange = await startCli(['crawl', '127.0.0.1:1', '--only', '127.0.0.0/99', '--json'], CRAWL_TIMEOUT_MS).done;
  assert.equal(badRange.code, 2);
  assert.match(badRange.stderr, /--only/);
  const badReport = await startCli(['crawl', '127.0.0.1:1', '--report', join(dir, 'no-such-folder', 'r.html')], CRAWL_TIMEOUT_MS).done;
  assert.equal(badReport.code, 2);
  assert.match(badReport.stderr, /--report .*r\.html: directory .*no-such-folder does not exist/);
});
