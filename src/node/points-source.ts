/**
 * Where the node-like responder takes the points it advertises: a list, or a function called on
 * each `Bootstrap` (a crawler's address book, a pool's connected peers).
 */
import { formatPoint, parsePoint, type Point } from '../shared/wire/point.ts';

/**
 * Points as `{ host, port }` or as text (`1.2.3.4:9732`, `[::1]:9732`): a list, which the
 * responder reads once per connection, or a function it calls on each `Bootstrap`.
 */
export type PointsSource = readonly (Point | string)[] | (() => readonly (Point | string)[] | Promise<readonly (Point | string)[]>);

/** Points in one Advertise, as Octez sends them (`list_known_points`, default size 50). */
export const ADVERTISED_POINTS = 50;
/** The first points taken in the source's order; the rest of an Advertise is drawn at random. */
const POINTS_IN_ORDER = 30;

/**
 * What one Advertise carries: at most 50 points of `source`, in canonical text, without
 * duplicates; points a node would refuse (host names, no port, a bad address) are left out.
 * Past 50, the first 30 in order and 20 drawn at random from the rest, as Octez samples its
 * known points.
 */
export async function advertisedPoints(source: PointsSource): Promise<string[]> {
  const listed = typeof source === 'function' ? await source() : source;
  return sampledPoints(canonicalPoints(listed));
}

/** The points a node would take, in canonical text, without duplicates, in the list's order. */
export function canonicalPoints(listed: readonly (Point | string)[]): string[] {
  const texts: string[] = [];
  const seen = new Set<string>();
  for (const point of listed) {
    const text = canonicalPointText(point);
    if (text === undefined || seen.has(text)) continue;
    seen.add(text);
    texts.push(text);
  }
  return texts;
}

/** At most 50 of canonical `texts`: all of them, or the first 30 and 20 drawn from the rest. */
export function sampledPoints(texts: readonly string[]): string[] {
  if (texts.length <= ADVERTISED_POINTS) return [...texts];
  const rest = texts.slice(POINTS_IN_ORDER);
  for (let i = 0; i < ADVERTISED_POINTS - POINTS_IN_ORDER; i++) {
    const j = i + Math.floor(Math.random() * (rest.length - i));
    [rest[i], rest[j]] = [rest[j]!, rest[i]!];
  }
  return [...texts.slice(0, POINTS_IN_ORDER), ...rest.slice(0, ADVERTISED_POINTS - POINTS_IN_ORDER)];
}

/** `P2p_point.Id.to_string` of a point, or `undefined` when a node would not take it. */
function canonicalPointText(point: Point | string): string | undefined {
  try {
    return formatPoint(typeof point === 'string' ? parsePoint(point) : point);
  } catch {
    return undefined;
  }
}
