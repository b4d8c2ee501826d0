/**
 * `--chain-id Net…` (crawl, load --mode node): the chain to ask a peer about when it does not
 * name one first. Checked as base58check with the chain-id prefix (docs/messages.md, "Hashes").
 */
import { base58CheckDecode } from '../../shared/crypto/base58.ts';
import { stringOf, UsageError, type Values } from './args.ts';

const CHAIN_ID_PREFIX = Uint8Array.of(0x57, 0x52, 0x00);

export function parseChainId(values: Values, usage: string): Uint8Array | undefined {
  const text = stringOf(values, 'chain-id', usage);
  if (text === undefined) return undefined;
  try {
    return base58CheckDecode(CHAIN_ID_PREFIX, text, 4);
  } catch {
    throw new UsageError(`--chain-id: expected a chain id in base58check (Net…, 15 characters), got ${JSON.stringify(text)}`, usage);
  }
}
