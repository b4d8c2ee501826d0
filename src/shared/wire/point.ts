/**
 * Network points (`P2p_point.Id`): a literal IP address and a port, in the text form Nack lists
 * carry (protocol.md §8.3).
 *
 * OCaml keeps every address as 16 IPv6 bytes (IPv4 peers are IPv4-mapped on the dual-stack
 * sockets), so two texts name the same point when their bytes agree: `1.2.3.4` and
 * `::ffff:1.2.3.4` are one point, and peers compare points after parsing, never as text
 * (protocol.md §14 item 2). Here a point keeps its host as text; every host this module returns is in
 * canonical form (dotted quad for IPv4 and IPv4-mapped, RFC 5952 for other IPv6).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { DecodingError, EncodingError } from '../errors.ts';
import { peerIdFromBase58 } from '../crypto/peer-id.ts';

export interface Point {
  /** A literal IPv4 or IPv6 address, without brackets or zone id. */
  host: string;
  /** 0..65535 */
  port: number;
}

/** A point with the optional `#id…` suffix of the reader (protocol.md §8.3, §11.2 step 3). */
export interface PointWithPeerId {
  point: Point;
  /** The `id…` text of the suffix, already checked to be a valid peer id. */
  peerId: string | undefined;
}

/** Eight 16-bit groups; `undefined` for anything but a literal IPv4/IPv6 address. */
function addressGroups(host: string): number[] | undefined {
  if (isIPv4(host)) {
    // node:net's isIPv4 rejects leading zeros and octets above 255, so Number() is exact here.
    const [a, b, c, d] = host.split('.').map(Number) as [number, number, number, number];
    return [0, 0, 0, 0, 0, 0xffff, (a << 8) | b, (c << 8) | d];
  }
  // A zone id (`fe80::1%eth0`) passes isIPv6 but cannot travel in a Nack: OCaml's point lexer
  // has no `%` in its IPv6 character class (protocol.md §8.3).
  if (!isIPv6(host) || host.includes('%')) return undefined;
  return ipv6Groups(host);
}

/** Groups of an IPv6 text that isIPv6 accepted; re-validates so a malformed text gives undefined. */
function ipv6Groups(text: string): number[] | undefined {
  let hex = text;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    // Embedded dotted quad (`::ffff:1.2.3.4`, `1:2:3:4:5:6:1.2.3.4`) stands for the last two groups.
    if (!isIPv4(tail)) return undefined;
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number];
    hex = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = hex.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups: number[] = [];
    for (const g of part.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      groups.push(parseInt(g, 16));
    }
    return groups;
  };
  const left = parse(halves[0]!);
  if (left === undefined) return undefined;
  if (halves.length === 1) return left.length === 8 ? left : undefined;
  const right = parse(halves[1]!);
  if (right === undefined) return undefined;
  const zeros = 8 - left.length - right.length;
  if (zeros < 1) return undefined; // `::` stands for at least one group
  return [...left, ...new Array<number>(zeros).fill(0), ...right];
}

function isMapped(g: readonly number[]): boolean {
  return g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff;
}

/**
 * RFC 5952 text: lowercase hex without leading zeros, the longest run of two or more zero groups
 * written `::`, the first such run on ties (protocol.md §8.3; ocaml-ipaddr `V6.to_string`).
 */
function formatIpv6(g: readonly number[]): string {
  let runStart = -1;
  let runLength = 1; // a single zero group is never compressed
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > runLength) {
      // strictly longer, so the first run wins a tie
      runStart = i;
      runLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    g
      .slice(from, to)
      .map((x) => x.toString(16))
      .join(':');
  if (runStart < 0) return hex(0, 8);
  return `${hex(0, runStart)}::${hex(runStart + runLength, 8)}`;
}

function formatGroups(g: readonly number[]): string {
  if (isMapped(g)) {
    const hi = g[6]!;
    const lo = g[7]!;
    return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  }
  return formatIpv6(g);
}

/**
 * Canonical text of a literal IP address: `a.b.c.d` for IPv4 and IPv4-mapped IPv6, RFC 5952 for
 * other IPv6. `undefined` for host names, zone ids, brackets or anything else.
 */
export function canonicalHost(host: string): string | undefined {
  // A dotted quad that isIPv4 accepts (no leading zeros, octets ≤ 255) is already canonical: the
  // common case, every accepted socket's address, answered without building the groups.
  if (isIPv4(host)) return host;
  const g = addressGroups(host);
  return g === undefined ? undefined : formatGroups(g);
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 0 && port <= 0xffff;
}

/**
 * `P2p_point.Id.to_string` (protocol.md §8.3): `a.b.c.d:port` for IPv4 and IPv4-mapped addresses,
 * `[<rfc5952>]:port` otherwise. EncodingError if the host is not a literal IP or the port is
 * outside 0..65535, because this is the writer of the Nack list elements.
 */
export function formatPoint(point: Point): string {
  if (!isPort(point.port)) throw new EncodingError(`point port ${point.port} is not in 0..65535`);
  const g = addressGroups(point.host);
  if (g === undefined) throw new EncodingError(`point host ${JSON.stringify(point.host)} is not a literal IP address`);
  return isMapped(g) ? `${formatGroups(g)}:${point.port}` : `[${formatIpv6(g)}]:${point.port}`;
}

/**
 * OCaml's point lexer (`point_parser.mll`): `addr (':' port)? ('#' peer_id)?` where addr is a
 * dotted quad or host name (`[A-Za-z0-9.-]+`), a bracketed `[0-9A-Fa-f:.]+`, `_` or nothing.
 * An unbracketed IPv6 address therefore does not lex: `::1:9732` is ambiguous and refused.
 */
const POINT_SYNTAX = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*|_)(?::([0-9]+))?(?:#([A-Za-z0-9]+))?$/;

function fail(text: string, why: string, cause?: unknown): never {
  throw new DecodingError(
    'USER_FUNCTION',
    `invalid point ${JSON.stringify(text)}: ${why}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * `P2p_point.Id.of_string_exn` without a default port (protocol.md §8.3), keeping the peer id suffix.
 * Every failure is DecodingError USER_FUNCTION, as the OCaml exception inside `conv` surfaces as
 * `Exception_raised_in_user_function`.
 */
export function parsePointWithPeerId(text: string): PointWithPeerId {
  const m = POINT_SYNTAX.exec(text);
  if (m === null) fail(text, 'expected <addr>:<port>[#<peer_id>] with IPv6 addresses in brackets');
  const [, rawAddr = '', rawPort, rawPeerId] = m;
  let port: number | undefined;
  if (rawPort !== undefined) {
    port = Number(rawPort); // decimal digits only, so no 0x/0o surprises
    if (!isPort(port)) fail(text, `port ${rawPort} not in range [0-65535]`);
  }
  if (rawPeerId !== undefined) {
    try {
      peerIdFromBase58(rawPeerId);
    } catch (err) {
      fail(text, `peer id ${JSON.stringify(rawPeerId)} is not valid (b58 format expected)`, err);
    }
  }
  if (port === undefined) fail(text, 'no port');
  const addr = rawAddr.startsWith('[') && rawAddr.endsWith(']') ? rawAddr.slice(1, -1) : rawAddr;
  const host = canonicalHost(addr);
  if (host === undefined) fail(text, `${JSON.stringify(addr)} is not a literal IPv4 or IPv6 address`);
  return { point: { host, port }, peerId: rawPeerId };
}

/** Parses `addr:port[#peer_id]` (protocol.md §8.3); the host comes back canonical. Throws DecodingError. */
export function parsePoint(text: string): Point {
  return parsePointWithPeerId(text).point;
}

/** Sixteen-byte identity of a point as a comparable key, or undefined when it is not a valid point. */
function pointKey(p: Point | string): string | undefined {
  if (typeof p === 'string') {
    try {
      const { host, port } = parsePoint(p);
      return `${host}|${port}`;
    } catch {
      return undefined;
    }
  }
  const host = canonicalHost(p.host);
  return host === undefined || !isPort(p.port) ? undefined : `${host}|${p.port}`;
}

/**
 * Same address and port after parsing (`P2p_point.Id.equal` on the IPv6 bytes): `::ffff:1.2.3.4`
 * equals `1.2.3.4`, `[0:0::1]:1` equals `[::1]:1`. An invalid point equals nothing.
 */
export function pointsEqual(a: Point | string, b: Point | string): boolean {
  const ka = pointKey(a);
  return ka !== undefined && ka === pointKey(b);
}
