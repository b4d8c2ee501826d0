/**
 * `P2p_rejection` motives carried by a Nack (protocol.md §8.2): a signed 16-bit code. Codes 0..5 have
 * names; any other code (negative ones included) is `Unknown_motive code` and must round-trip
 * unchanged, so motives are plain numbers here rather than a closed union.
 */

export const MOTIVE = {
  NO_MOTIVE: 0,
  TOO_MANY_CONNECTIONS: 1,
  UNKNOWN_CHAIN_NAME: 2,
  DEPRECATED_P2P_VERSION: 3,
  DEPRECATED_DISTRIBUTED_DB_VERSION: 4,
  ALREADY_CONNECTED: 5,
} as const;

/** One of the six named codes. */
type KnownMotive = (typeof MOTIVE)[keyof typeof MOTIVE];

/** Any motive code: an int16 (protocol.md §8.2). */
export type Motive = number;

const MOTIVE_MIN = -0x8000;
const MOTIVE_MAX = 0x7fff;

/** The OCaml constructor names, indexed by code. */
const OCAML_NAMES = [
  'No_motive',
  'Too_many_connections',
  'Unknown_chain_name',
  'Deprecated_p2p_version',
  'Deprecated_distributed_db_version',
  'Already_connected',
] as const;

const BY_NAME = new Map<string, KnownMotive>();
for (const [key, code] of Object.entries(MOTIVE)) {
  BY_NAME.set(key, code);
  BY_NAME.set(OCAML_NAMES[code]!, code);
}

export function isMotive(code: number): boolean {
  return Number.isInteger(code) && code >= MOTIVE_MIN && code <= MOTIVE_MAX;
}

/** The OCaml name of a code, or `Unknown_motive(<code>)` for the others (protocol.md §8.2). */
export function motiveName(code: Motive): string {
  return (Number.isInteger(code) ? OCAML_NAMES[code] : undefined) ?? `Unknown_motive(${code})`;
}

/**
 * Parses `TOO_MANY_CONNECTIONS`, `Too_many_connections`, `Unknown_motive(-7)` or a decimal int16
 * (`-7`). For configuration and CLI input, where a typo should fail loudly: throws RangeError.
 */
export function parseMotive(text: string): Motive {
  const trimmed = text.trim();
  const named = BY_NAME.get(trimmed);
  if (named !== undefined) return named;
  const unknown = /^Unknown_motive\((.*)\)$/.exec(trimmed);
  const digits = unknown ? unknown[1]! : trimmed;
  if (/^-?[0-9]+$/.test(digits)) {
    const code = Number(digits);
    if (isMotive(code)) return code;
    throw new RangeError(`rejection motive ${digits} is outside the int16 range [${MOTIVE_MIN}, ${MOTIVE_MAX}]`);
  }
  throw new RangeError(
    `unknown rejection motive ${JSON.stringify(text)}: expected a name such as TOO_MANY_CONNECTIONS or an int16`,
  );
}

/**
 * What a named motive says about the side that sent it, and what governs it on a p2p-socket
 * Pool, for error messages; undefined for the other codes (a policy's own).
 */
const MEANINGS: readonly string[] = [
  'no motive given',
  'it holds as many connections as it accepts (a p2p-socket Pool: maxConnections)',
  'it runs another chain (chainName)',
  'no p2p version in common (p2pVersions)',
  'no distributed-db version in common (distributedDbVersions)',
  'it already has a connection with our peer id (a p2p-socket Pool accepts several with allowDuplicatePeers)',
];

export function motiveMeaning(code: Motive): string | undefined {
  return Number.isInteger(code) ? MEANINGS[code] : undefined;
}
