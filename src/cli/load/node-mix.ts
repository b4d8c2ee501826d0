/**
 * `load --mode node`: the requests a generator connection sends, how often each may go to a real
 * node, and `--mix head=8,branch=1,bootstrap=1`.
 *
 * Each kind is a request and the answer it waits for (docs/messages.md):
 *   head       Get_current_head   → Current_head
 *   branch     Get_current_branch → Current_branch
 *   bootstrap  Bootstrap          → Advertise
 *
 * Octez v25 throttles each kind per connection (docs/messages.md, "How a node uses them"): a second Get_current_head
 * or Get_current_branch within 4 s of the previous one, or a second Bootstrap within 0.1 s, is
 * held back that long before the node handles it. The request is not refused, only delayed, and
 * the delay would show up as the node's latency: by default each connection sends every kind no
 * faster than its spacing allows, with a margin for the jitter between our clock and the node's
 * reads.
 */

export const REQUEST_KINDS = ['head', 'branch', 'bootstrap'] as const;
export type RequestKind = (typeof REQUEST_KINDS)[number];

export type Mix = Readonly<Record<RequestKind, number>>;

export const DEFAULT_MIX: Mix = { head: 8, branch: 1, bootstrap: 1 };

/** Octez v25's least spacing between two requests of a kind on one connection, seconds. */
export const THROTTLE_SPACING_S: Readonly<Record<RequestKind, number>> = { head: 4, branch: 4, bootstrap: 0.1 };

/** How much longer than the throttle's spacing the default schedule waits (10 %). */
export const THROTTLE_MARGIN = 1.1;

export function isRequestKind(text: string): text is RequestKind {
  return (REQUEST_KINDS as readonly string[]).includes(text);
}

/** A `--mix` value that does not parse. */
export class MixSyntaxError extends Error {}

/** `head=8,branch=1,bootstrap=1`; kinds left out weigh 0; at least one weight above 0. */
export function parseMix(text: string): Mix {
  const mix: Record<RequestKind, number> = { head: 0, branch: 0, bootstrap: 0 };
  for (const item of text.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    const m = /^([a-z_]+)\s*=\s*([0-9]+(?:\.[0-9]+)?)$/.exec(item);
    if (!m) throw new MixSyntaxError(`${JSON.stringify(item)}: expected KIND=WEIGHT, e.g. head=8`);
    const kind = m[1]!;
    if (!isRequestKind(kind)) throw new MixSyntaxError(`unknown kind ${JSON.stringify(kind)} (one of ${REQUEST_KINDS.join(', ')})`);
    mix[kind] = Number(m[2]);
  }
  if (REQUEST_KINDS.every((kind) => mix[kind] === 0)) throw new MixSyntaxError('at least one kind needs a weight above 0');
  return mix;
}

export function mixText(mix: Mix): string {
  return REQUEST_KINDS.filter((kind) => mix[kind] > 0)
    .map((kind) => `${kind}=${mix[kind]}`)
    .join(',');
}

/** Each kind's share of the requests (weights over their sum). */
export function shares(mix: Mix): Record<RequestKind, number> {
  const total = REQUEST_KINDS.reduce((sum, kind) => sum + mix[kind], 0);
  return { head: mix.head / total, branch: mix.branch / total, bootstrap: mix.bootstrap / total };
}

/**
 * The highest request rate per connection (all kinds) at which no kind comes faster than its
 * throttle spacing, margin included: the default rate against a real node.
 */
export function throttleSafeRate(mix: Mix): number {
  const share = shares(mix);
  return Math.min(...REQUEST_KINDS.filter((kind) => share[kind] > 0).map((kind) => 1 / (share[kind] * THROTTLE_SPACING_S[kind] * THROTTLE_MARGIN)));
}
