/**
 * A head monitor: connects to a node as a valid peer and prints the node's head level each time
 * it changes. Given HOST:PORT it watches that node until the node closes the connection (a real
 * node demands proof of work 26: set DIFFICULTY to match); without one, it starts a node-like
 * peer of its own on 127.0.0.1 that bakes a block every 200 ms, and stops after three new heads.
 *
 * Run from a clone: `npm run example -- examples/head-monitor.ts [HOST:PORT]`.
 */
import { connect, generateIdentity, nodeMetadataConfig, Pool, SANDBOXED_MAVRYK } from 'p2p-socket';
import { announcedVersion, nodeLocalVersions } from 'p2p-socket/wire';
import { peerMessageCodec, type PeerMessage } from 'p2p-socket/messages';
import { serveNodePeer, SyntheticChain } from 'p2p-socket/node';

const DIFFICULTY = 0;
const [target] = process.argv.slice(2);

// #region monitor
/** Watches the node at host:port; calls `onLevel` with each new head level until `stop()` returns true. */
async function monitorHeads(host: string, port: number, onLevel: (level: number) => void, stop: () => boolean): Promise<void> {
  const { identity } = await generateIdentity({ difficulty: DIFFICULTY });
  const peer = await connect(host, port, {
    identity,
    announcedVersion: announcedVersion(nodeLocalVersions(SANDBOXED_MAVRYK)),
    // disable_mempool: the node leaves its mempool out of the heads it sends us.
    metadata: nodeMetadataConfig({ disableMempool: true, privateNode: false }),
    proofOfWorkDifficulty: DIFFICULTY,
    timeout: 10_000,
  });
  const conn = await peer.accept({ codec: peerMessageCodec });
  let level: number | undefined;
  const seen = (header: { level: number }): void => {
    if (header.level !== level) onLevel((level = header.level));
  };
  try {
    for await (const { message } of conn) {
      switch (message.kind) {
        case 'Get_current_branch': {
          // The node's first message names its chain. A monitor holds no block of its own, so it
          // leaves this unanswered, which a node accepts. Asking for the branch first is what
          // makes the node answer Get_current_head, and send every new head from then on.
          const ask: PeerMessage[] = [
            { kind: 'Get_current_branch', chainId: message.chainId },
            { kind: 'Get_current_head', chainId: message.chainId },
          ];
          for (const request of ask) await conn.write(request);
          break;
        }
        case 'Current_branch':
          seen(message.locator.currentHead);
          break;
        case 'Current_head':
          seen(message.header);
          break;
        default:
          break; // a monitor advertises nothing, so it is asked for nothing it could give
      }
      if (stop()) break;
    }
  } finally {
    await conn.close();
  }
}
// #endregion monitor

// #region node
/** A node-like peer on 127.0.0.1: a synthetic chain (genesis, then blocks 1..10) baking a block every `blockMs`. */
async function startNode(blockMs: number): Promise<{ port: number; stop(): Promise<void> }> {
  const chain = new SyntheticChain({ headLevel: 10 });
  const node = new Pool({
    identity: (await generateIdentity({ difficulty: DIFFICULTY })).identity,
    chainName: SANDBOXED_MAVRYK,
    metadata: nodeMetadataConfig({ disableMempool: false, privateNode: false }),
    codec: peerMessageCodec,
    proofOfWorkDifficulty: DIFFICULTY,
    workers: 0,
  });
  node.on('connection', (conn) => {
    serveNodePeer(conn, chain, ['127.0.0.1:9733'], {
      // A node greylists a peer that sent what it cannot decode.
      onUndecodable: (c) => node.greylistPeer({ address: c.info.idPoint.host, peerId: c.info.peerId }),
    }).catch((error: unknown) => console.error('node:', error)); // DECODING_ERROR, DECIPHER_ERROR, …
  });
  const { port } = await node.listen({ host: '127.0.0.1', port: 0 });
  chain.startBaking(blockMs);
  return { port, stop: () => (chain.stopBaking(), node.close()) };
}
// #endregion node

let changes = 0;
const print = (level: number): void => {
  changes++;
  console.log(`head level ${level}`);
};

if (target !== undefined) {
  const [, host = '', port = ''] = /^\[?([^\]]+)\]?:([0-9]+)$/.exec(target) ?? [];
  await monitorHeads(host, Number(port), print, () => false);
} else {
  const node = await startNode(200);
  // The first level is the head at connection time; then three new heads.
  await monitorHeads('127.0.0.1', node.port, print, () => changes >= 4);
  await node.stop();
}
