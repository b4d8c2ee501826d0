/**
 * Piscina task: one bounded round of identity search (protocol.md §2.4), run on a pool thread by
 * `generateIdentity` (src/main/generate-identity.ts, architecture.md §5).
 *
 * The round is synchronous (a few tens of milliseconds by default): the pool stops a search by
 * terminating its threads, which interrupts the loop, so the job needs no cancellation checks.
 * The request and result are plain records (hex strings) because they cross threads by
 * structured clone, which would turn Buffers into bare Uint8Arrays.
 */
import { identitySearchRound } from '../shared/identity.ts';
import type { IdentityRoundRequest, IdentityRoundResult } from '../shared/identity.ts';

export default function powJob(request: IdentityRoundRequest): IdentityRoundResult {
  return identitySearchRound(request);
}
