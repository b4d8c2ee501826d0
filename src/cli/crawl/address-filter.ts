/**
 * `crawl --only CIDR,…`: which advertised addresses the crawler may dial. Ranges and addresses
 * are parsed by ipaddr.js; an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) is matched as the IPv4
 * address it carries, the way a node treats the two spellings as one point (protocol.md §8.3).
 */
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** A `--only` value that is not a list of CIDR ranges. */
export class InvalidRangeError extends Error {}

export class AddressFilter {
  /** The ranges as given, normalised (`127.0.0.0/8`), for the summary. */
  readonly ranges: readonly string[];
  private readonly parsed: ReadonlyArray<readonly [Address, number]>;

  private constructor(parsed: ReadonlyArray<readonly [Address, number]>) {
    this.parsed = parsed;
    this.ranges = parsed.map(([address, bits]) => `${address.toString()}/${bits}`);
  }

  /** `127.0.0.0/8,10.0.0.0/8,::1/128`; a bare address stands for itself alone (/32, /128). */
  static parse(text: string): AddressFilter {
    const items = text.split(',').map((item) => item.trim()).filter((item) => item !== '');
    if (items.length === 0) throw new InvalidRangeError('expected at least one CIDR range, e.g. 127.0.0.0/8');
    return new AddressFilter(items.map(parseRange));
  }

  /** Whether `host` (a literal IP address) lies in one of the ranges; never for anything else. */
  allows(host: string): boolean {
    let address: Address;
    try {
      address = ipaddr.process(host);
    } catch {
      return false;
    }
    return this.parsed.some(([range, bits]) => range.kind() === address.kind() && address.match(range, bits));
  }
}

function parseRange(item: string): readonly [Address, number] {
  try {
    if (item.includes('/')) {
      const [address, bits] = ipaddr.parseCIDR(item);
      // An IPv4-mapped range is kept as the IPv4 range it names, like the addresses it matches.
      if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
        return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96];
      }
      return [address, bits];
    }
    const address = ipaddr.process(item);
    return [address, address.kind() === 'ipv4' ? 32 : 128];
  } catch {
    throw new InvalidRangeError(`${JSON.stringify(item)} is not a CIDR range (e.g. 127.0.0.0/8, fd00::/8) nor an IP address`);
  }
}
