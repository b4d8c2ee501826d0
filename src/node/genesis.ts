/**
 * Genesis blocks and chain ids (docs/node.md, "Chains"): a chain id is the first 4 bytes of
 * Blake2b-256 of the 32 bytes of the chain's genesis block hash, as Octez's `Chain_id.of_block_hash`.
 */
import { blake2b } from '../shared/crypto/hash.ts';
import { MAVRYK_BASENET } from '../shared/wire/network-version.ts';
import { hashFromBase58 } from '../messages/hashes.ts';

/** Genesis of Mavryk mainnet, and of the `MAVRYK` / `SANDBOXED_MAVRYK` sandboxes. */
export const MAVRYK_MAINNET_GENESIS = 'BLockGenesisGenesisGenesisGenesisGenesis23a82evMK9F';
/** Genesis of Mavryk basenet (`MAVRYK_BASENET_2025-08-14T11:46:32Z`). */
export const MAVRYK_BASENET_GENESIS = 'BLockGenesisGenesisGenesisGenesisGenesis8a5a3c7Wpaw';
/** Genesis of Tezos mainnet (`TEZOS_MAINNET`). */
export const TEZOS_MAINNET_GENESIS = 'BLockGenesisGenesisGenesisGenesisGenesisf79b5d1CoW2';

const GENESIS_BY_CHAIN_NAME: ReadonlyMap<string, string> = new Map([
  [MAVRYK_BASENET, MAVRYK_BASENET_GENESIS],
  ['TEZOS_MAINNET', TEZOS_MAINNET_GENESIS],
]);

/**
 * The genesis block hash (`B…`) a node announcing `chainName` runs: basenet's for the basenet
 * name, Tezos mainnet's for `TEZOS_MAINNET`, and Mavryk mainnet's for every other name (the
 * mainnet itself and the sandboxes, which start from the mainnet genesis).
 */
export function genesisOfChainName(chainName: string): string {
  return GENESIS_BY_CHAIN_NAME.get(chainName) ?? MAVRYK_MAINNET_GENESIS;
}

/** The 4-byte chain id of a genesis block hash (32 bytes, or its `B…` text). */
export function chainIdOf(genesis: Uint8Array | string): Uint8Array {
  const bytes = typeof genesis === 'string' ? hashFromBase58('block', genesis) : genesis;
  if (bytes.length !== 32) throw new RangeError(`a genesis block hash has 32 bytes, not ${bytes.length}`);
  return new Uint8Array(blake2b(32, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)).subarray(0, 4));
}
