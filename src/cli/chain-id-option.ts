/**
 * `--chain-id Net…` (crawl, load --mode node): the chain to ask a peer about when it does not
 * name one first. Checked as base58check with the chain-id prefix (docs/messages.md, "Hashes").
 */
import { hashFromBase58 } from '../messages/hashes.ts';
import { stringOf, UsageError, type Values } from './flag-parser.ts';

export function parseChainId(values: Values, usage: string): Uint8Array | undefined {
  const text = stringOf(values, 'chain-id', usage);
  if (text === undefined) return undefined;
  try {
    return hashFromBase58('chainId', text);
  } catch {
    throw new UsageError(`--chain-id: expected a chain id in base58check (Net…, 15 characters), got ${JSON.stringify(text)}`, usage);
  }
}
