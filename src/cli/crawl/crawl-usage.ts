/**
 * Usage text of `p2p-socket crawl` (docs/cli.md). The flags are a contract with the programs that
 * drive the tool: change them only together with crawl-options.ts.
 */

export const SYNOPSIS_CRAWL = [
  'p2p-socket crawl HOST:PORT... [--max-peers N] [--depth D] [--concurrency C] [--only CIDR,...]',
  '                 [--timeout MS] [--wait MS] [--max-time S] [--chain NAME] [--chain-id Net...]',
  '                 [--identity FILE] [--difficulty F] [--json] [--report FILE.html]',
].join('\n');

export const CRAWL_USAGE = `Usage:
${SYNOPSIS_CRAWL}

Walks a Tezos-family peer network from the seed points, breadth first: dials each point, asks
the peer for points (Bootstrap), for its branch and head (Get_current_branch, then
Get_current_head, on the chain the peer names in its own Get_current_branch), and follows the
points it advertises. It behaves as a valid peer: one identity, port 0 announced (nobody dials
back), disable_mempool announced, nothing a node would take for an attack. Every dial is bounded
in time and the walk in count, depth and time: it stops by itself.
  --max-peers N        points dialled at most, seeds included (default 200)
  --depth D            how many hops from the seeds to follow; 0: the seeds only (default 8)
  --concurrency C      dials at once (default 16)
  --only CIDR,...      dial only advertised addresses in these ranges (e.g. 127.0.0.0/8,10.0.0.0/8);
                       seeds are always dialled
  --timeout MS         limit for each dial + handshake (default 6000)
  --wait MS            how long to wait for a peer's answers after the handshake (default 3000)
  --max-time S         nothing is dialled after S seconds and running dials are aborted (default 300)
  --chain NAME         chain name announced; a node nacks another (default SANDBOXED_MAVRYK)
  --chain-id Net...    the chain to ask about when a peer does not name one first
  --identity FILE      identity.json to use (default: a fresh identity at --difficulty)
  --difficulty F       proof of work of the fresh identity (default 0; a default node demands 26)
  --json               the summary as one JSON object on stdout, with every peer's record
  --report FILE.html   a self-contained page with the peer graph and every peer's record
                       (its folder is checked before the crawl starts)
Per peer: peer id, point, announced version, metadata, chain, head level and hash, advertised
points, handshake latency, and why it failed: refused, timeout, nack (with its motive), closed,
garbage (bytes that do not decode), aborted.
Exit status: 0 at least one peer answered the handshake, 1 none did, 2 bad usage.
`;
