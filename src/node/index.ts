/**
 * p2p-socket/node: a node-like peer on top of the peer messages (docs/node.md): the
 * responder that answers a connection as a small node does, the chain state it
 * answers from, and the points it advertises. The core `p2p-socket` entry does not load it.
 */
export { serveNodePeer, type NodePeerEnd, type NodeResponderOptions } from './node-responder.ts';
export type { ChainState, StoredBlock } from './chain-state.ts';
export { blockHashOf, LOCATOR_HISTORY_SENT, SyntheticChain, type SyntheticChainOptions } from './synthetic-chain.ts';
export { chainIdOf, genesisOfChainName, MAVRYK_BASENET_GENESIS, MAVRYK_MAINNET_GENESIS, TEZOS_MAINNET_GENESIS } from './genesis.ts';
export { ADVERTISED_POINTS, advertisedPoints, type PointsSource } from './points-source.ts';
